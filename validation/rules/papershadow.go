package rules

import (
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

func (e *engine) specPaperShadow() spec {
	return metaSpec(PaperShadowConsistency, e.m.PaperShadowConsistency.Meta, policy.Soft, policy.Ops, tagsPaperShadow)
}

// paperShadowApplies reports whether the rule runs for the stage: with no
// stage, or when norm(stage) is one of the configured stages (default paper,
// shadow).
func paperShadowApplies(cfg *policy.PaperShadowConsistency, stage string) bool {
	s := policy.NormStage(stage)
	if s == "" {
		return true
	}
	stages := cfg.Stages
	if len(stages) == 0 {
		return s == "paper" || s == "shadow" // normalized already
	}
	for _, st := range stages {
		if policy.NormStage(st) == s {
			return true
		}
	}
	return false
}

// paperShadow compares paper/shadow metrics with the latest backtest baseline
// through the paper_vs_backtest_* ratios written by evaluate-time enrichment
// (validation-core §7.8.5).
func (e *engine) paperShadow(i int) RuleResult {
	cfg := e.m.PaperShadowConsistency
	c := e.cands[i]
	flat := c.flat
	get := func(name string) any { v, ok := flat.Lookup(name); return optional(v, ok) }
	sr, hasSR := flat.Lookup("paper_vs_backtest_sharpe_ratio")
	dr, hasDR := flat.Lookup("paper_vs_backtest_dd_ratio")
	vr, hasVR := flat.Lookup("paper_vs_backtest_var_p01_ratio")
	er, hasER := flat.Lookup("paper_vs_backtest_es_p01_ratio")
	pv, hasPV := firstPresent(flat, "var_p01", "returns.var_p01")
	pe, hasPE := firstPresent(flat, "es_p01", "returns.es_p01")
	details := e.arena.withRoom(4,
		Detail{"stage", e.stageValue()},
		Detail{"baseline_run_id", baselineRunID(c.doc, flat)},
		Detail{"backtest_sharpe", get("backtest_sharpe")},
		Detail{"backtest_max_drawdown", get("backtest_max_drawdown")},
		Detail{"backtest_var_p01", get("backtest_var_p01")},
		Detail{"backtest_es_p01", get("backtest_es_p01")},
		Detail{"paper_sharpe", get("sharpe")},
		Detail{"paper_max_drawdown", get("max_drawdown")},
		Detail{"paper_var_p01", optional(pv, hasPV)},
		Detail{"paper_es_p01", optional(pe, hasPE)},
		Detail{"paper_vs_backtest_sharpe_ratio", optional(sr, hasSR)},
		Detail{"paper_vs_backtest_dd_ratio", optional(dr, hasDR)},
		Detail{"paper_vs_backtest_var_p01_ratio", optional(vr, hasVR)},
		Detail{"paper_vs_backtest_es_p01_ratio", optional(er, hasER)},
	)
	var k checks
	k.lowerBound(cfg.MinSharpeRatio, sr, hasSR, "paper_shadow_sharpe_ratio_missing", "paper_shadow_sharpe_ratio_below_min", "min_sharpe_ratio", &details)
	k.upperBound(cfg.MaxDrawdownRatio, dr, hasDR, "paper_shadow_dd_ratio_missing", "paper_shadow_dd_ratio_exceeds_max", "max_drawdown_ratio", &details)
	k.upperBound(cfg.MaxVaRP01Ratio, vr, hasVR, "paper_shadow_var_ratio_missing", "paper_shadow_var_ratio_exceeds_max", "max_var_p01_ratio", &details)
	k.upperBound(cfg.MaxESP01Ratio, er, hasER, "paper_shadow_es_ratio_missing", "paper_shadow_es_ratio_exceeds_max", "max_es_p01_ratio", &details)
	return k.result(e.specPaperShadow(), "paper_shadow_ok", "Paper/shadow consistency satisfied", details)
}

// baselineRunID reads diagnostics.extra_metrics.paper_shadow_baseline_run_id
// from the document (a string, which flattening drops), else a numeric value
// from the flat map, else null.
func baselineRunID(doc map[string]any, flat *metrics.Flat) any {
	if d, ok := doc["diagnostics"].(map[string]any); ok {
		if x, ok := d["extra_metrics"].(map[string]any); ok {
			if s, ok := x["paper_shadow_baseline_run_id"].(string); ok && s != "" {
				return s
			}
		}
	}
	if v, ok := flat.Lookup("paper_shadow_baseline_run_id"); ok {
		return v
	}
	return nil
}
