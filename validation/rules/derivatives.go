package rules

import "github.com/worldval/worldval/validation/metrics"

// ExtendedDerivatives returns a copy of a flat metric map with the names that
// the extended re-evaluation of stored runs adds (validation-core §4.6):
// live_dd = live_max_drawdown; live_vs_backtest_dd_ratio =
// live_max_drawdown / max_drawdown when max_drawdown is present and non-zero;
// live_vs_backtest_sharpe_ratio = live_sharpe / sharpe when absent and sharpe
// is present and non-zero. Existing names are kept. The inline evaluation
// does not use it.
func ExtendedDerivatives(flat metrics.Flat) metrics.Flat {
	out := make(metrics.Flat, len(flat)+3)
	for k, v := range flat {
		out[k] = v
	}
	setDefault := func(name string, v float64) {
		if _, ok := out[name]; !ok {
			out[name] = v
		}
	}
	if ls, ok := flat["live_sharpe"]; ok {
		if s, ok := flat["sharpe"]; ok && s != 0 {
			setDefault("live_vs_backtest_sharpe_ratio", ls/s)
		}
	}
	if ld, ok := flat["live_max_drawdown"]; ok {
		setDefault("live_dd", ld)
		if dd, ok := flat["max_drawdown"]; ok && dd != 0 {
			setDefault("live_vs_backtest_dd_ratio", ld/dd)
		}
	}
	return out
}
