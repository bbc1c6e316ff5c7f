package rules

import (
	"reflect"
	"testing"

	"github.com/worldval/worldval/validation/metrics"
)

func TestExtendedDerivatives(t *testing.T) {
	in := metrics.FlatOf(map[string]float64{"live_sharpe": 0.05, "sharpe": 0.1, "live_max_drawdown": 0.2, "max_drawdown": 0.1})
	got := ExtendedDerivatives(in).Map()
	want := map[string]float64{"live_sharpe": 0.05, "sharpe": 0.1, "live_max_drawdown": 0.2, "max_drawdown": 0.1,
		"live_vs_backtest_sharpe_ratio": 0.5, "live_dd": 0.2, "live_vs_backtest_dd_ratio": 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	if in.Len() != 4 {
		t.Errorf("input modified")
	}
	got = ExtendedDerivatives(metrics.FlatOf(map[string]float64{"live_sharpe": 1, "sharpe": 0, "live_max_drawdown": 0.2, "live_vs_backtest_sharpe_ratio": 9})).Map()
	if got["live_vs_backtest_sharpe_ratio"] != 9 || got["live_dd"] != 0.2 {
		t.Errorf("kept/zero: %v", got)
	}
	if _, ok := got["live_vs_backtest_dd_ratio"]; ok {
		t.Errorf("ratio without max_drawdown")
	}
}
