package metrics

import (
	"math"
	"strconv"
)

// liveReturns finds the realised return series of validation-core §4.6: the
// first of diagnostics.live_returns, top-level live_returns and live.returns
// that is an array of finite numbers.
func liveReturns(doc map[string]any) ([]float64, bool) {
	for _, path := range [...][]string{
		{"diagnostics", "live_returns"},
		{"live_returns"},
		{"live", "returns"},
	} {
		v, _ := lookup(doc, path...)
		xs, ok := numbers(v)
		if !ok {
			continue
		}
		if len(Clean(xs)) == len(xs) {
			return xs, true
		}
	}
	return nil, false
}

// liveSharpe returns mean/sd of tail (per period, population sd); null when the
// tail is empty or has zero variance.
func liveSharpe(tail []float64) opt {
	if len(tail) == 0 {
		return opt{}
	}
	mu, sd := meanStd(tail)
	if sd == 0 {
		return opt{}
	}
	return some(mu / sd)
}

// liveMaxDrawdown returns max_t(Q_t − C_t) where C is the running sum of tail
// and Q its running maximum starting at C_1, not at 0 (validation-core §4.6).
// Null when the tail is empty.
func liveMaxDrawdown(tail []float64) opt {
	if len(tail) == 0 {
		return opt{}
	}
	var c, worst float64
	peak := math.Inf(-1)
	for _, x := range tail {
		c += x
		if c > peak {
			peak = c
		}
		if d := peak - c; d > worst {
			worst = d
		}
	}
	return some(worst)
}

// DeriveLive returns a copy of a stored run's metrics document with the live
// monitoring metrics of validation-core §4.6 filled into its diagnostics block:
// live_sharpe_p{30,60,90} (per period), live_max_drawdown_p{30,60,90} (return
// units, ≥ 0), the aliases live_sharpe, realized_sharpe, live_max_drawdown and
// realized_max_drawdown from the 30-period window, live_returns_len, and
// live_vs_backtest_sharpe_ratio = live_sharpe / returns.sharpe.
//
// The source series is the first of diagnostics.live_returns, top-level
// live_returns and live.returns that is an array of finite numbers; without one
// the document is returned unchanged. Like every derivation, DeriveLive only
// fills null slots (QMTL overwrites submitted live values; validation-core
// §4.11 says submitted values win). The ratio uses the live Sharpe derived here
// from the series. The input is never modified.
func DeriveLive(metrics map[string]any) Result {
	f := &filler{doc: copyDoc(metrics)}
	f.deriveLive()
	return f.result()
}

// DeriveLiveInPlace is [DeriveLive] filling doc itself instead of a copy,
// for a pipeline that owns doc: no one else holds it or the objects in it.
// doc must not be nil. It returns the paths it filled.
func DeriveLiveInPlace(doc map[string]any) []string {
	f := &filler{doc: doc}
	f.deriveLive()
	return f.filled
}

// deriveLive fills the live monitoring metrics into f.
func (f *filler) deriveLive() {
	r, ok := liveReturns(f.doc)
	if !ok {
		return
	}
	var first, firstDD opt
	// Trailing windows in periods; the first (smallest) one feeds the aliases.
	for i, w := range [...]int{30, 60, 90} {
		tail := r
		if w < len(r) {
			tail = r[len(r)-w:]
		}
		s, dd := liveSharpe(tail), liveMaxDrawdown(tail)
		suffix := strconv.Itoa(w)
		f.num(s.v, s.ok, "diagnostics", "live_sharpe_p"+suffix)
		f.num(dd.v, dd.ok, "diagnostics", "live_max_drawdown_p"+suffix)
		if i == 0 {
			first, firstDD = s, dd
		}
	}
	f.num(first.v, first.ok, "diagnostics", "live_sharpe")
	f.num(first.v, first.ok, "diagnostics", "realized_sharpe")
	f.num(firstDD.v, firstDD.ok, "diagnostics", "live_max_drawdown")
	f.num(firstDD.v, firstDD.ok, "diagnostics", "realized_max_drawdown")
	if backtest, ok := numberAt(f.doc, "returns", "sharpe"); ok && first.ok && first.v != 0 {
		v, ok := ratio(first.v, backtest)
		f.num(v, ok, "diagnostics", "live_vs_backtest_sharpe_ratio")
	}
	f.num(float64(len(r)), true, "diagnostics", "live_returns_len")
}

// WithLiveDerivatives returns a copy of a flattened metric map with the names
// that validation-core §4.6 adds when rules run over stored runs (extended
// layers, §7.8): live_dd = live_max_drawdown, live_vs_backtest_dd_ratio =
// live_max_drawdown / max_drawdown when max_drawdown is non-zero, and
// live_vs_backtest_sharpe_ratio = live_sharpe / sharpe when absent and sharpe is
// non-zero. Names already present are kept.
func WithLiveDerivatives(flat *Flat) *Flat {
	var add [3]Metric
	ms := add[:0]
	if ls, ok := flat.Lookup("live_sharpe"); ok {
		if s, ok := flat.Lookup("sharpe"); ok {
			if v, ok := ratio(ls, s); ok {
				ms = append(ms, Metric{"live_vs_backtest_sharpe_ratio", v})
			}
		}
	}
	if dd, ok := flat.Lookup("live_max_drawdown"); ok {
		ms = append(ms, Metric{"live_dd", dd})
		if bdd, ok := flat.Lookup("max_drawdown"); ok {
			if v, ok := ratio(dd, bdd); ok {
				ms = append(ms, Metric{"live_vs_backtest_dd_ratio", v})
			}
		}
	}
	return flat.With(ms...)
}
