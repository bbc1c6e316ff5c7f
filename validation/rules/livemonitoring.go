package rules

import "github.com/worldval/worldval/validation/policy"

func (e *engine) specLiveMonitoring() spec {
	return metaSpec(LiveMonitoring, e.m.LiveMonitoring.Meta, policy.Soft, policy.Risk, tagsLiveMonitoring)
}

// liveMonitoring is one result over the whole scope, attached to every
// strategy (validation-core §7.8.6): means of the live Sharpe (live_sharpe,
// else realized_sharpe), live drawdown (live_max_drawdown, else
// realized_max_drawdown) and live/backtest Sharpe ratio, against the
// configured limits. It applies to every stage.
func (e *engine) liveMonitoring() RuleResult {
	cfg := e.m.LiveMonitoring
	var sharpes, dds, decays []float64
	for _, c := range e.cands {
		if v, ok := firstPresent(c.flat, "live_sharpe", "realized_sharpe"); ok {
			sharpes = append(sharpes, v)
		}
		if v, ok := firstPresent(c.flat, "live_max_drawdown", "realized_max_drawdown"); ok {
			dds = append(dds, v)
		}
		if v, ok := c.flat.Lookup("live_vs_backtest_sharpe_ratio"); ok {
			decays = append(decays, v)
		}
	}
	mean := func(xs []float64) (float64, bool) {
		if len(xs) == 0 {
			return 0, false
		}
		return exactMean(xs), true
	}
	sm, hasSM := mean(sharpes)
	dm, hasDM := mean(dds)
	qm, hasQM := mean(decays)
	var lookback any
	if cfg.LookbackDays != nil {
		lookback = *cfg.LookbackDays
	}
	details := e.arena.withRoom(3,
		Detail{"sharpe_mean", optional(sm, hasSM)},
		Detail{"dd_mean", optional(dm, hasDM)},
		Detail{"decay_mean", optional(qm, hasQM)},
		Detail{"lookback_days", lookback},
	)
	var c checks
	c.lowerBound(cfg.SharpeMin, sm, hasSM, "live_sharpe_missing", "live_sharpe_below_min", "sharpe_min", &details)
	c.upperBound(cfg.DDMax, dm, hasDM, "live_dd_missing", "live_dd_exceeds_max", "dd_max", &details)
	c.lowerBound(cfg.DecayThreshold, qm, hasQM, "live_decay_missing", "live_decay_below_threshold", "decay_threshold", &details)
	return c.result(e.specLiveMonitoring(), "live_monitoring_ok", "Live monitoring within thresholds", details)
}
