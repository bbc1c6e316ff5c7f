package metrics

import (
	"math"
	"testing"
)

// appendixB is the series of validation-core Appendix B (corpus case M01).
var appendixB = []float64{0.01, 0.02, -0.005, 0.015, 0.012, 0.008, -0.003, 0.02, 0.01, 0.005}

// TestAppendixB checks every figure of the spec's hand check, which three
// independent implementations reproduced. Tolerances are half a unit of the
// last printed digit.
func TestAppendixB(t *testing.T) {
	r := appendixB

	// Intermediate statistics.
	near(t, "mean", mean(r), 0.0092, 1e-15)
	near(t, "variance", variance(r), 6.456e-5, 1e-17)
	near(t, "squared deviations", variance(r)*10, 6.456e-4, 1e-16)
	near(t, "sd", math.Sqrt(variance(r)), 0.0080349, 5e-8)
	m, ok := SeriesMoments(r)
	if !ok {
		t.Fatal("SeriesMoments: not ok")
	}
	near(t, "skew", m.Skew, -0.388916, 5e-7)
	near(t, "kurtosis", m.Kurt, 2.195996, 5e-7)
	se, ok := SharpeStdErr(Sharpe(r), m.Skew, m.Kurt, len(r))
	if !ok {
		t.Fatal("SharpeStdErr: not ok")
	}
	near(t, "sigma_SR", se, 0.451824, 5e-7)
	near(t, "Q(0.01)", quantile([]float64{-0.005, -0.003, 0.005, 0.008, 0.01, 0.01, 0.012, 0.015, 0.02, 0.02}, 0.01), -0.00482, 1e-15)

	doc := mustDerive(t, nil, r, Params{})
	want := []struct {
		path []string
		v    float64
		tol  float64
	}{
		{[]string{"returns", "sharpe"}, 1.1450015, 5e-8},
		{[]string{"returns", "time_under_water_ratio"}, 0.2, 1e-15},
		{[]string{"returns", "max_time_under_water_days"}, 1, 0},
		{[]string{"returns", "max_drawdown"}, 0.005, 1e-15},
		{[]string{"returns", "gain_to_pain_ratio"}, 11.5, 1e-12},
		{[]string{"sample", "effective_history_years"}, 0.0396825, 5e-8},
		{[]string{"sample", "n_trades_total"}, 10, 0},
		{[]string{"sample", "n_trades_per_year"}, 252, 1e-12},
		{[]string{"robustness", "sharpe_first_half"}, 1.2373940, 5e-8},
		{[]string{"robustness", "sharpe_second_half"}, 1.0728836, 5e-8},
		{[]string{"robustness", "deflated_sharpe_ratio"}, 0.9943644, 5e-8},
		{[]string{"robustness", "probabilistic_sharpe_ratio"}, 0.9943644, 5e-8},
		{[]string{"returns", "var_p01"}, 0.00482, 1e-15},
		{[]string{"returns", "es_p01"}, 0.005, 1e-15},
		{[]string{"sample", "regime_coverage", "low_vol"}, 0.4, 1e-15},
		{[]string{"sample", "regime_coverage", "mid_vol"}, 0.3, 1e-15},
		{[]string{"sample", "regime_coverage", "high_vol"}, 0.3, 1e-15},
		{[]string{"diagnostics", "strategy_complexity"}, 1.6931472, 5e-8},
		{[]string{"diagnostics", "search_intensity"}, 1, 0},
	}
	for _, w := range want {
		near(t, joinDots(w.path), mustGet(t, doc, w.path...), w.v, w.tol)
	}
	for _, k := range []string{"cv_folds", "cv_sharpe_mean", "cv_sharpe_std"} {
		if v, ok := lookup(doc, "robustness", k); ok {
			t.Errorf("robustness.%s = %v, want null (n < 60)", k, v)
		}
	}
	// DSR with one trial equals the PSR against 0 exactly.
	dsr := mustGet(t, doc, "robustness", "deflated_sharpe_ratio")
	psr := mustGet(t, doc, "robustness", "probabilistic_sharpe_ratio")
	if dsr != psr {
		t.Errorf("DSR(N=1) = %v, PSR = %v; want equal", dsr, psr)
	}
}

func joinDots(path []string) string {
	s := ""
	for i, p := range path {
		if i > 0 {
			s += "."
		}
		s += p
	}
	return s
}
