package extended

import "testing"

func aggregates(t *testing.T, series []float64, windows []int, backtest *float64) map[string]*float64 {
	t.Helper()
	out := map[string]*float64{}
	for _, a := range LiveAggregates(series, windows, backtest) {
		if _, dup := out[a.Name]; dup {
			t.Fatalf("%s twice", a.Name)
		}
		out[a.Name] = a.Value
	}
	return out
}

// TestLiveAggregates works r = [0.01, −0.02, 0.03, −0.01] by hand with
// windows 2 and 4.
//
// Window 4: μ = 0.0025; deviations 0.0075, −0.0225, 0.0275, −0.0125;
// squares sum to 1.475e-3, σ² = 3.6875e-4, σ = 0.0192028644, Sharpe =
// 0.1301889110. Cumulative 0.01, −0.01, 0.02, 0.01 with peaks 0.01, 0.01,
// 0.02, 0.02: drawdown 0.02. Sorted −0.02, −0.01, 0.01, 0.03; h = 0.03,
// q = −0.02 + 0.01·0.03 = −0.0197: VaR 0.0197, ES = −mean{−0.02} = 0.02.
//
// Window 2 (the last two, 0.03 and −0.01): μ = 0.01, σ = 0.02, Sharpe 0.5;
// cumulative 0.03, 0.02: drawdown 0.01; h = 0.01, q = −0.01 + 0.04·0.01 =
// −0.0096: VaR 0.0096, ES 0.01. The aliases come from window 2; with a
// backtest Sharpe of 2 the decay ratio is 0.25.
func TestLiveAggregates(t *testing.T) {
	a := aggregates(t, []float64{0.01, -0.02, 0.03, -0.01}, []int{4, 2}, f64(2))
	for name, want := range map[string]float64{
		"live_sharpe_p4": 0.13018891098082383, "live_max_drawdown_p4": 0.02, "live_var_p01_p4": 0.0197, "live_es_p01_p4": 0.02,
		"live_sharpe_p2": 0.5, "live_max_drawdown_p2": 0.01, "live_var_p01_p2": 0.0096, "live_es_p01_p2": 0.01,
		"live_sharpe": 0.5, "realized_sharpe": 0.5, "live_max_drawdown": 0.01, "realized_max_drawdown": 0.01,
		"live_var_p01": 0.0096, "live_es_p01": 0.01, "live_vs_backtest_sharpe_ratio": 0.25,
	} {
		if a[name] == nil {
			t.Errorf("%s undefined", name)
			continue
		}
		near(t, name, *a[name], want)
	}
}

func TestLiveAggregatesEdges(t *testing.T) {
	// A constant non-zero series: σ² rounds to ~1e-37, not 0; D21 makes the
	// Sharpe undefined instead of ~1e15. VaR/ES are 0 (no loss).
	a := aggregates(t, []float64{0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001}, []int{30}, f64(1))
	if a["live_sharpe_p30"] != nil || a["live_vs_backtest_sharpe_ratio"] != nil {
		t.Errorf("constant series: Sharpe %v, ratio %v", a["live_sharpe_p30"], a["live_vs_backtest_sharpe_ratio"])
	}
	if a["live_var_p01_p30"] == nil || *a["live_var_p01_p30"] != 0 || *a["live_max_drawdown_p30"] != 0 {
		t.Errorf("constant series: VaR %v, drawdown %v", a["live_var_p01_p30"], a["live_max_drawdown_p30"])
	}
	// One observation: no VaR/ES; a first-period loss is not a drawdown
	// (the peak starts at the first cumulative value, O10).
	a = aggregates(t, []float64{-0.05}, []int{30}, nil)
	if a["live_var_p01"] != nil || a["live_es_p01"] != nil || *a["live_max_drawdown"] != 0 {
		t.Errorf("one observation: %v %v %v", a["live_var_p01"], a["live_es_p01"], *a["live_max_drawdown"])
	}
	// No series, or a window ≤ 0: everything undefined.
	for _, a := range []map[string]*float64{aggregates(t, nil, []int{30}, f64(1)), aggregates(t, []float64{0.1, 0.2}, []int{0}, nil)} {
		for name, v := range a {
			if v != nil {
				t.Errorf("%s = %v, want undefined", name, *v)
			}
		}
	}
	// A backtest Sharpe of 0 gives no ratio.
	if a := aggregates(t, []float64{0.01, -0.02, 0.03}, []int{30}, f64(0)); a["live_vs_backtest_sharpe_ratio"] != nil {
		t.Error("ratio with a zero backtest Sharpe")
	}
}
