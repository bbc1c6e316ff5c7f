package rules

import (
	"testing"

	"github.com/worldval/worldval/validation/metrics"
)

// benchDoc is a realistic derived metrics document (core, advanced and
// enrichment fields).
func benchDoc() map[string]any {
	return map[string]any{
		"returns": map[string]any{"sharpe": 0.12, "max_drawdown": 0.1, "gain_to_pain_ratio": 1.5, "time_under_water_ratio": 0.2,
			"var_p01": 0.02, "es_p01": 0.03, "max_time_under_water_days": 5.0},
		"sample": map[string]any{"effective_history_years": 3.0, "n_trades_total": 756.0, "n_trades_per_year": 252.0,
			"regime_coverage": map[string]any{"low_vol": 0.3, "mid_vol": 0.4, "high_vol": 0.3}},
		"risk": map[string]any{"adv_utilization_p95": 0.1, "participation_rate_p95": 0.05},
		"robustness": map[string]any{"deflated_sharpe_ratio": 0.9, "probabilistic_sharpe_ratio": 0.95, "sharpe_first_half": 0.1,
			"sharpe_second_half": 0.13, "cv_folds": 5.0, "cv_sharpe_mean": 1.1, "cv_sharpe_std": 0.3},
		"diagnostics": map[string]any{"search_intensity": 1.0, "strategy_complexity": 1.69, "returns_source": "ws:derived",
			"lag_seconds": 12.0, "extra_metrics": map[string]any{"vs_benchmark_sharpe": 0.02, "benchmark_sharpe": 0.1}},
	}
}

// BenchmarkEvaluate measures one run under the annotated example policy
// (three profiles, legacy selection, four extended blocks) with the flat
// metric map precomputed, as the evaluator has it from metric derivation.
func BenchmarkEvaluate(b *testing.B) {
	p := annotated(b)
	d := benchDoc()
	in := Input{StrategyID: "s1", Stage: "backtest", PolicyVersion: "7", Metrics: d, Flat: metrics.Flatten(d), Previous: []string{"s1"}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Evaluate(p, in)
	}
}

// BenchmarkEvaluateWithFlatten includes metrics.Flatten in every run.
func BenchmarkEvaluateWithFlatten(b *testing.B) {
	p := annotated(b)
	in := Input{StrategyID: "s1", Stage: "backtest", PolicyVersion: "7", Metrics: benchDoc(), Previous: []string{"s1"}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Evaluate(p, in)
	}
}

// BenchmarkFlatten is the share of metrics.Flatten in the run above.
func BenchmarkFlatten(b *testing.B) {
	d := benchDoc()
	b.ReportAllocs()
	for b.Loop() {
		_ = metrics.Flatten(d)
	}
}
