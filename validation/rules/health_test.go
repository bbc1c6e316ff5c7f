package rules

import (
	"reflect"
	"testing"
)

func TestComputeHealth(t *testing.T) {
	d := doc("returns.sharpe", 0.1, "returns.max_drawdown", "x", "sample.n_trades_total", 0,
		"diagnostics.extra_metrics.gain_to_pain_ratio", 1.0, "gain_to_pain_ratio", 2.0, "risk.adv_utilization_p95", nil)
	results := Results{
		{Name: "a", Result: RuleResult{ReasonCode: "RULE_ERROR"}},
		{Name: "b", Result: RuleResult{ReasonCode: "ok"}},
	}
	h := ComputeHealth(d, results)
	// returns.sharpe, returns.max_drawdown (non-null string), sample.n_trades_total.
	if h.MetricCoverageRatio != 3.0/12 || h.RulesExecutedRatio != 0.4 || h.ValidationErrorCount != 1 {
		t.Errorf("%+v", h)
	}
	if got := ComputeHealth(nil, nil); got != (Health{}) {
		t.Errorf("empty %+v", got)
	}
	n := 0
	for _, c := range coreMetricBlocks {
		n += len(c.keys)
	}
	if n != coreMetricCount {
		t.Errorf("%d core paths, coreMetricCount %d", n, coreMetricCount)
	}
	many := make(Results, 11)
	if got := ComputeHealth(good(), many); got.RulesExecutedRatio != 1 || got.MetricCoverageRatio != 1 {
		t.Errorf("capped %+v", got)
	}
}

func TestAttachHealth(t *testing.T) {
	d := doc("returns.sharpe", 0.1, "diagnostics.search_intensity", 3, "diagnostics.validation_health.note", "kept",
		"diagnostics.validation_health.rules_executed_ratio", 0.2)
	out := AttachHealth(d, Health{MetricCoverageRatio: 0.5, RulesExecutedRatio: 1, ValidationErrorCount: 2})
	vh := out["diagnostics"].(map[string]any)["validation_health"].(map[string]any)
	want := map[string]any{"note": "kept", "metric_coverage_ratio": 0.5, "rules_executed_ratio": 1.0, "validation_error_count": 2}
	if !reflect.DeepEqual(vh, want) {
		t.Errorf("validation_health %v", vh)
	}
	if out["diagnostics"].(map[string]any)["search_intensity"] != 3 || out["returns"] == nil {
		t.Errorf("other keys lost: %v", out)
	}
	if d["diagnostics"].(map[string]any)["validation_health"].(map[string]any)["rules_executed_ratio"] != 0.2 {
		t.Errorf("input mutated")
	}
	if got := AttachHealth(nil, Health{}); got["diagnostics"] == nil {
		t.Errorf("nil doc %v", got)
	}
}
