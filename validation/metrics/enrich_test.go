package metrics

import (
	"reflect"
	"testing"
)

// TestEnrichBenchmark checks §4.7.1, including the top-level sharpe precedence.
func TestEnrichBenchmark(t *testing.T) {
	in := decodeDoc(t, `{"returns": {"sharpe": 0.3}, "benchmark": {"sharpe": 0.1}}`)
	res := EnrichBenchmark(in)
	near(t, "benchmark_sharpe", mustGet(t, res.Metrics, extraPath("benchmark_sharpe")...), 0.1, 0)
	near(t, "vs_benchmark_sharpe", mustGet(t, res.Metrics, extraPath("vs_benchmark_sharpe")...), 0.2, 1e-15)
	if _, ok := in["diagnostics"]; ok {
		t.Error("input mutated")
	}

	res = EnrichBenchmark(decodeDoc(t, `{"sharpe": 0.5, "returns": {"sharpe": 0.3}, "benchmark": {"sharpe": 0.1},
		"diagnostics": {"extra_metrics": {"vs_benchmark_sharpe": 7}}}`))
	near(t, "kept", mustGet(t, res.Metrics, extraPath("vs_benchmark_sharpe")...), 7, 0)

	res = EnrichBenchmark(decodeDoc(t, `{"sharpe": 0.5, "benchmark": {"sharpe": 0.1}}`))
	near(t, "top-level sharpe", mustGet(t, res.Metrics, extraPath("vs_benchmark_sharpe")...), 0.4, 1e-15)

	plain := decodeDoc(t, `{"returns": {"sharpe": 0.3}, "benchmark": {"sharpe": "n/a"}}`)
	if res := EnrichBenchmark(plain); !reflect.DeepEqual(res.Metrics, plain) {
		t.Errorf("non-numeric benchmark enriched: %v", res.Metrics)
	}
}

// TestEnrichPaperShadow checks §4.7.2: ratios current/baseline, absolute
// drawdowns, zero baselines skipped, 0.0 current values used (CD9).
func TestEnrichPaperShadow(t *testing.T) {
	cur := decodeDoc(t, `{"returns": {"sharpe": 0.1, "max_drawdown": 0.3, "var_p01": 0.0, "es_p01": 0.02}}`)
	base := Baseline{RunID: "eval-s1-1", Metrics: decodeDoc(t, `{"returns": {"sharpe": 0.2, "max_drawdown": -0.15, "var_p01": 0.01, "es_p01": 0}}`)}
	res := EnrichPaperShadow(cur, base)
	x := func(k string) float64 { return mustGet(t, res.Metrics, extraPath(k)...) }
	near(t, "backtest_sharpe", x("backtest_sharpe"), 0.2, 0)
	near(t, "backtest_max_drawdown", x("backtest_max_drawdown"), 0.15, 0)
	near(t, "sharpe ratio", x("paper_vs_backtest_sharpe_ratio"), 0.5, 0)
	near(t, "dd ratio", x("paper_vs_backtest_dd_ratio"), 2, 1e-15)
	near(t, "var ratio", x("paper_vs_backtest_var_p01_ratio"), 0, 0)
	if _, ok := get(res.Metrics, extraPath("paper_vs_backtest_es_p01_ratio")...); ok {
		t.Error("ratio against a zero baseline")
	}
	if id, _ := lookup(res.Metrics, extraPath("paper_shadow_baseline_run_id")...); id != "eval-s1-1" {
		t.Errorf("baseline run id = %v", id)
	}
}

// TestPortfolioProxies checks §4.7.3 with and without a baseline.
func TestPortfolioProxies(t *testing.T) {
	in := decodeDoc(t, `{"returns": {"sharpe": 0.3, "max_drawdown": 0.2},
		"diagnostics": {"extra_metrics": {"benchmark_sharpe": 0.1}}}`)
	res := PortfolioProxies(in, PortfolioBaseline{})
	doc := res.Metrics
	near(t, "var", mustGet(t, doc, "risk", "incremental_var_99"), 0.2, 0)
	near(t, "es", mustGet(t, doc, "risk", "incremental_es_99"), 0.24, 1e-15)
	near(t, "uplift vs benchmark", mustGet(t, doc, extraPath("portfolio_sharpe_uplift")...), 0.2, 1e-15)
	near(t, "var with", mustGet(t, doc, extraPath("portfolio_var_99_with_candidate")...), 0.2, 0)
	near(t, "es with", mustGet(t, doc, extraPath("portfolio_es_99_with_candidate")...), 0.24, 1e-15)

	s, v, e := 0.05, 0.1, 0.13
	res = PortfolioProxies(in, PortfolioBaseline{Sharpe: &s, VaR99: &v, ES99: &e})
	doc = res.Metrics
	near(t, "var from baseline", mustGet(t, doc, "risk", "incremental_var_99"), 0.1, 0)
	near(t, "es from baseline", mustGet(t, doc, "risk", "incremental_es_99"), 0.13, 0)
	near(t, "uplift vs baseline", mustGet(t, doc, extraPath("portfolio_sharpe_uplift")...), 0.25, 1e-15)
	near(t, "var with", mustGet(t, doc, extraPath("portfolio_var_99_with_candidate")...), 0.2, 1e-15)
	near(t, "baseline recorded", mustGet(t, doc, extraPath("portfolio_baseline_es_99")...), 0.13, 0)

	// A 0.0 baseline Sharpe recorded earlier is a value (CD9), not a fall-through.
	res = PortfolioProxies(decodeDoc(t, `{"returns": {"sharpe": 0.3}, "risk": {"incremental_var_99": 0.05},
		"diagnostics": {"extra_metrics": {"portfolio_baseline_sharpe": 0, "benchmark_sharpe": 0.1}}}`), PortfolioBaseline{})
	near(t, "uplift", mustGet(t, res.Metrics, extraPath("portfolio_sharpe_uplift")...), 0.3, 0)
	near(t, "es from kept var", mustGet(t, res.Metrics, "risk", "incremental_es_99"), 0.06, 1e-15)
}

// TestInPlaceStepsFillWhatTheCopiesReturn: each ...InPlace step leaves in
// the document it is given what its copying form returns, with the same
// derivations, while the copying form leaves its input alone.
func TestInPlaceStepsFillWhatTheCopiesReturn(t *testing.T) {
	docs := []string{
		`{}`,
		`{"returns": {"sharpe": 0.3, "max_drawdown": 0.1, "var_p01": 0.02}, "benchmark": {"sharpe": 0.1}}`,
		`{"sharpe": 0.5, "returns": {"sharpe": 0.3}, "benchmark": {"sharpe": 0.1}, "diagnostics": {"extra_metrics": {"vs_benchmark_sharpe": 7}}}`,
		`{"returns": {"sharpe": 1.2, "max_drawdown": -0.2, "es_p01": 0.05}, "risk": {"incremental_var_99": 0.3},
			"diagnostics": {"live_returns": [0.01, -0.02, 0.005, 0.01], "extra_metrics": {"benchmark_sharpe": 0.4}}}`,
		`{"live_returns": [0.01, 0.02], "returns": {"sharpe": 0}}`,
	}
	base := Baseline{RunID: "bt", Metrics: map[string]any{"returns": map[string]any{"sharpe": 0.6, "max_drawdown": 0.05, "var_p01": 0.01, "es_p01": 0.02}}}
	one, two := 0.5, 0.2
	pb := PortfolioBaseline{Sharpe: &one, VaR99: &two}
	for _, src := range docs {
		for _, step := range []struct {
			name    string
			copying func(map[string]any) Result
			inPlace func(map[string]any) []string
		}{
			{"EnrichBenchmark", EnrichBenchmark, EnrichBenchmarkInPlace},
			{"EnrichPaperShadow", func(d map[string]any) Result { return EnrichPaperShadow(d, base) },
				func(d map[string]any) []string { return EnrichPaperShadowInPlace(d, base) }},
			{"DeriveLive", DeriveLive, DeriveLiveInPlace},
			{"PortfolioProxies", func(d map[string]any) Result { return PortfolioProxies(d, pb) },
				func(d map[string]any) []string { return PortfolioProxiesInPlace(d, pb) }},
			{"PortfolioProxies/none", func(d map[string]any) Result { return PortfolioProxies(d, PortfolioBaseline{}) },
				func(d map[string]any) []string { return PortfolioProxiesInPlace(d, PortfolioBaseline{}) }},
		} {
			in := decodeDoc(t, src)
			want := step.copying(in)
			if !reflect.DeepEqual(in, decodeDoc(t, src)) {
				t.Fatalf("%s %s: the copying form modified its input", step.name, src)
			}
			derivations := step.inPlace(in)
			if !reflect.DeepEqual(in, want.Metrics) || !reflect.DeepEqual(derivations, want.Derivations) {
				t.Errorf("%s %s:\nin place %v %v\ncopy     %v %v", step.name, src, in, derivations, want.Metrics, want.Derivations)
			}
		}
	}
}
