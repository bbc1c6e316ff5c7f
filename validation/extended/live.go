package extended

import (
	"math"
	"slices"
	"strconv"
)

// sigmaFloor is the standard deviation at or below which a live Sharpe is
// undefined (D21): a constant series whose rounding leaves σ² ≈ 1e-37 must
// not report a Sharpe near 1e15.
const sigmaFloor = 1e-12

// DefaultWindows returns the live windows of spec §3.7.1, in observations:
// 30, 60 and 90.
func DefaultWindows() []int { return []int{30, 60, 90} }

// LiveAggregate is one named live metric; Value is nil when undefined.
type LiveAggregate struct {
	// Name is the metric name, such as live_sharpe_p30.
	Name string
	// Value is the metric, nil when undefined.
	Value *float64
}

// LiveAggregates computes the windowed live metrics of spec §3.7.1 over a
// return series (oldest first), with live VaR/ES (O18). For each window w
// (observations, not days) over the last w returns (all when w ≥ n):
//
//   - live_sharpe_p<w> = μ/σ with the population σ, per period, undefined
//     when σ ≤ 1e-12 (D21);
//   - live_max_drawdown_p<w> = max(P − E) over the additive cumulative
//     returns E with the running peak P starting at E1 (O10 keeps QMTL's
//     convention);
//   - live_var_p01_p<w> and live_es_p01_p<w>, the historical 1 % VaR and ES
//     of the window (−q and −mean{r ≤ q} of the linear 1 % quantile q,
//     floored at 0; undefined below two observations).
//
// The shortest window feeds the aliases live_sharpe, realized_sharpe,
// live_max_drawdown, realized_max_drawdown, live_var_p01 and live_es_p01.
// live_vs_backtest_sharpe_ratio = live_sharpe / backtestSharpe when both are
// defined and non-zero. The result lists every name in that order; windows
// ≤ 0 or an empty series give undefined values. The series is not modified.
func LiveAggregates(series []float64, windows []int, backtestSharpe *float64) []LiveAggregate {
	out := make([]LiveAggregate, 0, 4*len(windows)+7)
	shortest := -1
	var first [4]*float64
	for _, w := range windows {
		var s, dd, vr, es *float64
		if w > 0 && len(series) > 0 {
			tail := series
			if w < len(series) {
				tail = series[len(series)-w:]
			}
			s, dd = liveSharpe(tail), liveDrawdown(tail)
			vr, es = tailRisk(tail)
		}
		suffix := strconv.Itoa(w)
		out = append(out,
			LiveAggregate{"live_sharpe_p" + suffix, s},
			LiveAggregate{"live_max_drawdown_p" + suffix, dd},
			LiveAggregate{"live_var_p01_p" + suffix, vr},
			LiveAggregate{"live_es_p01_p" + suffix, es},
		)
		if w > 0 && (shortest < 0 || w < shortest) {
			shortest, first = w, [4]*float64{s, dd, vr, es}
		}
	}
	out = append(out,
		LiveAggregate{"live_sharpe", first[0]},
		LiveAggregate{"realized_sharpe", first[0]},
		LiveAggregate{"live_max_drawdown", first[1]},
		LiveAggregate{"realized_max_drawdown", first[1]},
		LiveAggregate{"live_var_p01", first[2]},
		LiveAggregate{"live_es_p01", first[3]},
	)
	var decay *float64
	if ls := first[0]; ls != nil && *ls != 0 && backtestSharpe != nil && *backtestSharpe != 0 {
		if r := *ls / *backtestSharpe; finite(r) {
			decay = &r
		}
	}
	return append(out, LiveAggregate{"live_vs_backtest_sharpe_ratio", decay})
}

// liveSharpe is μ/σ of the tail, summed left to right; nil when σ ≤ 1e-12.
func liveSharpe(tail []float64) *float64 {
	var sum float64
	for _, x := range tail {
		sum += x
	}
	mu := sum / float64(len(tail))
	var ss float64
	for _, x := range tail {
		d := x - mu
		ss += d * d
	}
	sigma := math.Sqrt(ss / float64(len(tail)))
	if !(sigma > sigmaFloor) {
		return nil
	}
	v := mu / sigma
	return &v
}

// liveDrawdown is the largest fall of the cumulative sum below its running
// peak, the peak starting at the first cumulative value.
func liveDrawdown(tail []float64) *float64 {
	var c, worst float64
	peak := math.Inf(-1)
	for _, x := range tail {
		c += x
		peak = max(peak, c)
		worst = max(worst, peak-c)
	}
	return &worst
}

// tailRisk is QMTL's historical 1 % VaR and ES (validation_metrics
// ._var_es_p01): h = 0.01·(n−1), q linearly interpolated between the sorted
// values at ⌊h⌋ and ⌈h⌉, VaR = −q when q < 0 else 0, ES = −mean{r ≤ q} when
// that mean is < 0 else 0. Nil below two observations.
func tailRisk(tail []float64) (vaR, es *float64) {
	if len(tail) < 2 {
		return nil, nil
	}
	s := slices.Clone(tail)
	slices.Sort(s)
	h := 0.01 * float64(len(s)-1)
	lo, hi := math.Floor(h), math.Ceil(h)
	q := s[int(lo)] + (s[int(hi)]-s[int(lo)])*(h-lo)
	v := 0.0
	if q < 0 {
		v = -q
	}
	var sum float64
	n := 0
	for _, x := range s {
		if x > q {
			break
		}
		sum += x
		n++
	}
	e := 0.0
	if n > 0 {
		if m := sum / float64(n); m < 0 {
			e = -m
		}
	}
	return &v, &e
}
