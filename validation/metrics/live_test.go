package metrics

import (
	"reflect"
	"testing"
)

// TestDeriveLiveWindows checks §4.6 on a 40-period series: the 30-period window
// is the tail, the 60- and 90-period windows are the whole series.
func TestDeriveLiveWindows(t *testing.T) {
	live := make([]any, 40)
	var all, tail []float64
	for i := range live {
		x := 0.001 * float64((i*7)%11-4)
		live[i] = x
		all = append(all, x)
		if i >= 10 {
			tail = append(tail, x)
		}
	}
	in := map[string]any{
		"returns":     map[string]any{"sharpe": 0.2},
		"diagnostics": map[string]any{"live_returns": live, "live_sharpe_p90": 9.0},
	}
	res := DeriveLive(in)
	doc := res.Metrics
	near(t, "p30", mustGet(t, doc, "diagnostics", "live_sharpe_p30"), Sharpe(tail), 0)
	near(t, "p60", mustGet(t, doc, "diagnostics", "live_sharpe_p60"), Sharpe(all), 0)
	near(t, "p90 kept", mustGet(t, doc, "diagnostics", "live_sharpe_p90"), 9, 0)
	near(t, "alias", mustGet(t, doc, "diagnostics", "realized_sharpe"), Sharpe(tail), 0)
	near(t, "ratio", mustGet(t, doc, "diagnostics", "live_vs_backtest_sharpe_ratio"), Sharpe(tail)/0.2, 1e-15)
	near(t, "len", mustGet(t, doc, "diagnostics", "live_returns_len"), 40, 0)
	if _, ok := in["diagnostics"].(map[string]any)["live_sharpe_p30"]; ok {
		t.Error("input mutated")
	}
}

// TestLiveMaxDrawdownAnchoring: the live drawdown anchors the peak at the first
// cumulative value, not at 0 (§4.6), unlike the core drawdown (§4.3.2).
func TestLiveMaxDrawdownAnchoring(t *testing.T) {
	r := []float64{-0.05, -0.01, 0.02, -0.03}
	// C = −0.05, −0.06, −0.04, −0.07; Q = −0.05, −0.05, −0.04, −0.04.
	near(t, "live", liveMaxDrawdown(r).v, 0.03, 1e-15)
	near(t, "core", netMaxDrawdown(r, 0), 0.07, 1e-15)
	if liveMaxDrawdown(nil).ok || liveSharpe(nil).ok || liveSharpe([]float64{0.1, 0.1}).ok {
		t.Error("empty or constant tails must give null")
	}
}

// TestDeriveLiveSources: the first array of finite numbers wins; without one
// the document is unchanged.
func TestDeriveLiveSources(t *testing.T) {
	in := map[string]any{
		"diagnostics":  map[string]any{"live_returns": []any{0.1, "x"}},
		"live_returns": []any{0.01, 0.02},
	}
	doc := DeriveLive(in).Metrics
	near(t, "len", mustGet(t, doc, "diagnostics", "live_returns_len"), 2, 0)

	doc = DeriveLive(map[string]any{"live": map[string]any{"returns": []any{}}}).Metrics
	near(t, "empty len", mustGet(t, doc, "diagnostics", "live_returns_len"), 0, 0)
	if _, ok := get(doc, "diagnostics", "live_sharpe"); ok {
		t.Error("live_sharpe for an empty series")
	}

	plain := map[string]any{"returns": map[string]any{"sharpe": 1.0}}
	if res := DeriveLive(plain); !reflect.DeepEqual(res.Metrics, plain) || len(res.Derivations) != 0 {
		t.Errorf("no live series: %v", res)
	}
}

// TestWithLiveDerivatives checks the names added for extended rules (§4.6).
func TestWithLiveDerivatives(t *testing.T) {
	f := WithLiveDerivatives(FlatOf(map[string]float64{"live_sharpe": 0.1, "sharpe": 0.2, "live_max_drawdown": 0.05, "max_drawdown": 0.1})).Map()
	near(t, "live_vs_backtest_sharpe_ratio", f["live_vs_backtest_sharpe_ratio"], 0.5, 0)
	near(t, "live_dd", f["live_dd"], 0.05, 0)
	near(t, "live_vs_backtest_dd_ratio", f["live_vs_backtest_dd_ratio"], 0.5, 0)

	f = WithLiveDerivatives(FlatOf(map[string]float64{"live_sharpe": 0.1, "sharpe": 0, "live_vs_backtest_sharpe_ratio": 3, "max_drawdown": 0, "live_max_drawdown": 0.05})).Map()
	if f["live_vs_backtest_sharpe_ratio"] != 3 {
		t.Error("existing ratio overwritten")
	}
	if _, ok := f["live_vs_backtest_dd_ratio"]; ok {
		t.Error("ratio with zero backtest drawdown")
	}
}
