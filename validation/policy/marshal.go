package policy

import (
	"github.com/worldval/worldval/validation/policy/jcs"
)

// MarshalJSON renders the policy as a normalized policy document: profiles and
// stage mappings in their original order, the merged legacy selection at the
// top level, explicit validation modes only where they were set, and no
// metadata except policy_version. Parsing the output yields a policy that
// chooses the same profiles and has the same ruleset hashes.
func (p *Policy) MarshalJSON() ([]byte, error) {
	w := &ow{}
	w.open()
	if p.VersionLabel != "" {
		w.key("policy_version")
		w.str(p.VersionLabel)
	}
	if len(p.Profiles) > 0 {
		w.key("validation_profiles")
		w.open()
		for i := range p.Profiles {
			pr := &p.Profiles[i]
			w.key(pr.Name)
			w.open()
			if s := pr.Sample; s != nil {
				w.key("sample")
				w.open()
				w.num("min_effective_years", s.MinEffectiveYears)
				w.int("min_trades_total", s.MinTradesTotal)
				w.meta(s.Meta)
				w.close()
			}
			if s := pr.Performance; s != nil {
				w.key("performance")
				w.open()
				w.num("sharpe_min", s.SharpeMin)
				w.num("max_dd_max", s.MaxDDMax)
				w.num("gain_to_pain_min", s.GainToPainMin)
				w.meta(s.Meta)
				w.close()
			}
			if s := pr.Robustness; s != nil {
				w.key("robustness")
				w.open()
				w.num("dsr_min", s.DSRMin)
				w.num("cv_sharpe_gap_max", s.CVSharpeGapMax)
				w.meta(s.Meta)
				w.close()
			}
			if s := pr.Risk; s != nil {
				w.key("risk")
				w.open()
				w.num("adv_utilization_p95_max", s.ADVUtilizationP95Max)
				w.num("participation_rate_p95_max", s.ParticipationRateP95Max)
				w.meta(s.Meta)
				w.close()
			}
			w.close()
		}
		w.close()
	}
	if len(p.DefaultProfileByStage) > 0 {
		w.key("default_profile_by_stage")
		w.open()
		for _, e := range p.DefaultProfileByStage {
			w.key(e.Stage)
			w.str(e.Profile)
		}
		w.close()
	}
	if p.Validation != (Validation{}) {
		w.key("validation")
		w.open()
		w.optStr("on_error", p.Validation.OnError)
		w.optStr("on_missing_metric", p.Validation.OnMissingMetric)
		w.close()
	}
	if len(p.Thresholds) > 0 {
		w.key("thresholds")
		w.open()
		for _, t := range p.Thresholds {
			w.key(t.Key)
			w.open()
			w.optStr("metric", t.Metric)
			w.num("min", t.Min)
			w.num("max", t.Max)
			w.close()
		}
		w.close()
	}
	if t := p.TopK; t != nil {
		w.key("top_k")
		w.open()
		w.optStr("metric", t.Metric)
		w.int("k", &t.K)
		w.close()
	}
	if c := p.Correlation; c != nil {
		w.key("correlation")
		w.open()
		w.num("max", &c.Max)
		w.close()
	}
	if h := p.Hysteresis; h != nil {
		w.key("hysteresis")
		w.open()
		w.optStr("metric", h.Metric)
		w.num("enter", &h.Enter)
		w.num("exit", &h.Exit)
		w.close()
	}
	p.marshalExtended(w)
	if g := p.Governance; g != nil {
		w.key("governance")
		w.open()
		if g.LivePromotionMode != "" {
			w.key("live_promotion")
			w.open()
			w.optStr("mode", g.LivePromotionMode)
			w.close()
		}
		w.close()
	}
	w.close()
	if w.err != nil {
		return nil, w.err
	}
	return w.buf, nil
}

func (p *Policy) marshalExtended(w *ow) {
	if c := p.Cohort; c != nil {
		w.key("cohort")
		w.open()
		w.num("sharpe_median_min", c.SharpeMedianMin)
		w.num("dsr_median_min", c.DSRMedianMin)
		w.int("top_k", c.TopK)
		w.optStr("top_k_metric", c.TopKMetric)
		w.num("extreme_sharpe_max", c.ExtremeSharpeMax)
		w.meta(c.Meta)
		w.close()
	}
	if c := p.Portfolio; c != nil {
		w.key("portfolio")
		w.open()
		w.num("max_incremental_var_99", c.MaxIncrementalVaR99)
		w.num("max_incremental_es_99", c.MaxIncrementalES99)
		w.num("min_portfolio_sharpe_uplift", c.MinPortfolioSharpeUplift)
		w.num("default_correlation", c.DefaultCorrelation)
		w.num("z_99", c.Z99)
		w.num("es_factor", c.ESFactor)
		w.meta(c.Meta)
		w.close()
	}
	if c := p.Benchmark; c != nil {
		w.key("benchmark")
		w.open()
		w.num("min_vs_benchmark_sharpe", c.MinVsBenchmarkSharpe)
		w.meta(c.Meta)
		w.close()
	}
	if c := p.Stress; c != nil {
		w.key("stress")
		w.open()
		if c.Scenarios != nil {
			w.key("scenarios")
			w.open()
			for _, s := range c.Scenarios {
				w.key(s.Name)
				w.open()
				w.num("dd_max", s.DDMax)
				w.num("es_99", s.ES99)
				w.num("var_99", s.VaR99)
				w.close()
			}
			w.close()
		}
		w.meta(c.Meta)
		w.close()
	}
	if c := p.PaperShadowConsistency; c != nil {
		w.key("paper_shadow_consistency")
		w.open()
		if c.Stages != nil {
			w.key("stages")
			w.raw('[')
			for i, s := range c.Stages {
				if i > 0 {
					w.raw(',')
				}
				w.strValue(s)
			}
			w.raw(']')
			w.first = false
		}
		w.num("min_sharpe_ratio", c.MinSharpeRatio)
		w.num("max_drawdown_ratio", c.MaxDrawdownRatio)
		w.num("max_var_p01_ratio", c.MaxVaRP01Ratio)
		w.num("max_es_p01_ratio", c.MaxESP01Ratio)
		w.meta(c.Meta)
		w.close()
	}
	if c := p.LiveMonitoring; c != nil {
		w.key("live_monitoring")
		w.open()
		w.int("lookback_days", c.LookbackDays)
		w.num("decay_threshold", c.DecayThreshold)
		w.num("sharpe_min", c.SharpeMin)
		w.num("dd_max", c.DDMax)
		w.num("es_max", c.ESMax)
		w.meta(c.Meta)
		w.close()
	}
}

// ow writes an order-preserving JSON object.
type ow struct {
	buf   []byte
	first bool
	err   error
}

func (w *ow) raw(c byte) { w.buf = append(w.buf, c) }

func (w *ow) open() {
	w.buf = append(w.buf, '{')
	w.first = true
}

func (w *ow) close() {
	w.buf = append(w.buf, '}')
	w.first = false
}

func (w *ow) key(k string) {
	if !w.first {
		w.buf = append(w.buf, ',')
	}
	w.first = false
	w.strValue(k)
	w.buf = append(w.buf, ':')
}

func (w *ow) strValue(s string) {
	b, err := jcs.AppendString(w.buf, s)
	if err != nil {
		w.err = err
		return
	}
	w.buf = b
}

func (w *ow) str(s string) {
	w.strValue(s)
	w.first = false
}

func (w *ow) optStr(k, s string) {
	if s != "" {
		w.key(k)
		w.str(s)
	}
}

func (w *ow) num(k string, v *float64) {
	if v == nil {
		return
	}
	w.key(k)
	b, err := jcs.AppendNumber(w.buf, *v)
	if err != nil {
		w.err = err
		return
	}
	w.buf = b
}

func (w *ow) int(k string, v *int) {
	if v == nil {
		return
	}
	f := float64(*v)
	w.num(k, &f)
}

func (w *ow) meta(m Meta) {
	w.optStr("severity", string(m.Severity))
	w.optStr("owner", string(m.Owner))
}
