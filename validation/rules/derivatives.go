package rules

import "github.com/worldval/worldval/validation/metrics"

// ExtendedDerivatives returns a copy of a flat metric table with the names that
// the extended re-evaluation of stored runs adds (validation-core §4.6):
// live_dd = live_max_drawdown; live_vs_backtest_dd_ratio =
// live_max_drawdown / max_drawdown when max_drawdown is present and non-zero;
// live_vs_backtest_sharpe_ratio = live_sharpe / sharpe when absent and sharpe
// is present and non-zero. Existing names are kept. The inline evaluation
// does not use it.
func ExtendedDerivatives(flat *metrics.Flat) *metrics.Flat {
	var add [3]metrics.Metric
	ms := add[:0]
	if ls, ok := flat.Lookup("live_sharpe"); ok {
		if s, ok := flat.Lookup("sharpe"); ok && s != 0 {
			ms = append(ms, metrics.Metric{Name: "live_vs_backtest_sharpe_ratio", Value: ls / s})
		}
	}
	if ld, ok := flat.Lookup("live_max_drawdown"); ok {
		ms = append(ms, metrics.Metric{Name: "live_dd", Value: ld})
		if dd, ok := flat.Lookup("max_drawdown"); ok && dd != 0 {
			ms = append(ms, metrics.Metric{Name: "live_vs_backtest_dd_ratio", Value: ld / dd})
		}
	}
	return flat.With(ms...)
}
