package policy

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestMarshalRoundTrip(t *testing.T) {
	doc := `
policy_version: "v3"
validation_profiles:
  z: {sample: {min_effective_years: 1, min_trades_total: 2, severity: info, owner: ops}, performance: {sharpe_min: 0.1, max_dd_max: 0.2, gain_to_pain_min: 1}}
  a: {robustness: {dsr_min: 0.1, cv_sharpe_gap_max: 0.2, owner: risk}, risk: {adv_utilization_p95_max: 0.5, participation_rate_p95_max: 0.4, severity: soft}}
default_profile_by_stage: {live: a, Paper-Only: z}
validation: {on_missing_metric: ignore}
thresholds: {"we.ird key": {metric: "x\"y", min: -1e-7, max: 1e21}}
top_k: {metric: s, k: 2}
correlation: {max: -0.5}
hysteresis: {metric: h, enter: 1, exit: 0.5}
cohort: {sharpe_median_min: 0.1, dsr_median_min: 0.2, top_k: 3, top_k_metric: deflated_sharpe_ratio, extreme_sharpe_max: 4, severity: blocking}
portfolio: {max_incremental_var_99: 0.1, max_incremental_es_99: 0.2, min_portfolio_sharpe_uplift: 0, default_correlation: -0.25, z_99: 2.3263, es_factor: 1.1456, owner: quant}
benchmark: {min_vs_benchmark_sharpe: 0.05}
stress: {scenarios: {b: {var_99: 1}, a: {dd_max: 0.1, es_99: 0.2}}, severity: soft}
paper_shadow_consistency: {stages: [Paper, x], min_sharpe_ratio: 0.7, max_drawdown_ratio: 1.5, max_var_p01_ratio: 2, max_es_p01_ratio: 3}
live_monitoring: {lookback_days: 30, decay_threshold: 0.5, sharpe_min: 0, dd_max: 0.3, es_max: 0, owner: ops}
governance: {live_promotion: {mode: auto_apply}}
`
	p := mustParse(t, doc)
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p.cache, q.cache = nil, nil
	p.Warnings, q.Warnings = nil, nil
	if !reflect.DeepEqual(p, q) {
		t.Errorf("round trip differs\n%+v\n%+v\n%s", p, q, out)
	}
	if g := q.Governance; g == nil || g.LivePromotionMode != "auto_apply" {
		t.Errorf("governance %+v", g)
	}
	if d := mustParse(t, "governance: {live_promotion: {}}"); d.Governance.LivePromotionMode != "manual_approval" {
		t.Errorf("default mode %+v", d.Governance)
	}
	if _, err := Parse([]byte("governance: 3")); err == nil {
		t.Errorf("governance scalar accepted")
	}
	if _, err := Parse([]byte("governance: {live_promotion: 3}")); err == nil {
		t.Errorf("live_promotion scalar accepted")
	}
	if _, err := json.Marshal(&Policy{Thresholds: []Threshold{{Key: "\xff", Metric: "x"}}}); err == nil {
		t.Errorf("invalid UTF-8 marshalled")
	}
	bad := 1.0
	bad = bad / 0
	if _, err := json.Marshal(&Policy{Correlation: &Correlation{Max: bad}}); err == nil {
		t.Errorf("Inf marshalled")
	}
}
