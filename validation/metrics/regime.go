package metrics

import (
	"math"
	"slices"
)

// regimeWindow is the rolling-volatility window w of validation-core §4.5.4.
const regimeWindow = 20

// regimes are the fractions of periods in the low, mid and high volatility
// terciles (validation-core §4.5.4); they sum to 1.
type regimes struct {
	low, mid, high float64
}

// document returns the regime_coverage object.
func (g regimes) document() map[string]any {
	return map[string]any{"low_vol": g.low, "mid_vol": g.mid, "high_vol": g.high}
}

// regimeCoverage classifies every period of the cleaned series r by the rolling
// population standard deviation of its trailing window against the 1/3 and 2/3
// linear quantiles of all those volatilities. Null when n < 2.
func regimeCoverage(r []float64) (regimes, bool) {
	n := len(r)
	if n < 2 {
		return regimes{}, false
	}
	vols := rollingStd(r, regimeWindow)
	sorted := slices.Clone(vols)
	slices.Sort(sorted)
	q33 := quantile(sorted, 1.0/3.0)
	q66 := quantile(sorted, 2.0/3.0)
	var low, high int
	for _, v := range vols {
		switch {
		case v <= q33:
			low++
		case v > q66:
			high++
		}
	}
	total := float64(n)
	return regimes{
		low:  float64(low) / total,
		mid:  float64(n-low-high) / total,
		high: float64(high) / total,
	}, true
}

// rollingStd returns v_t, the population standard deviation of the trailing
// window r[max(0, t−w+1) .. t], or 0 when the window holds fewer than two values.
//
// The spec requires windows that hold the same multiset of values to produce
// bit-identical results and windows of equal values to produce exactly 0, so
// that ties between periodic windows classify the same way as QMTL's exact
// rational pstdev. A rolling sum cannot give that; instead the window is kept
// sorted (an O(w) insertion and deletion per step) and its statistics are
// computed over the sorted values, which depend on the multiset only.
func rollingStd(r []float64, w int) []float64 {
	vols := make([]float64, len(r))
	win := make([]float64, 0, w+1)
	for t, x := range r {
		if t >= w {
			old := r[t-w] + 0 // +0 turns −0 into 0, as on insertion
			i, _ := slices.BinarySearch(win, old)
			win = slices.Delete(win, i, i+1)
		}
		x += 0
		i, _ := slices.BinarySearch(win, x)
		win = slices.Insert(win, i, x)
		if len(win) >= 2 {
			vols[t] = sortedPStd(win)
		}
	}
	return vols
}

// sortedPStd returns the population standard deviation of the ascending-sorted
// slice s (len ≥ 2): exactly 0 when its ends are equal, else the two-pass
// formula with compensated sums in ascending order.
func sortedPStd(s []float64) float64 {
	if s[0] == s[len(s)-1] {
		return 0
	}
	var k ksum
	for _, x := range s {
		k.add(x)
	}
	n := float64(len(s))
	mu := k.value() / n
	var k2 ksum
	for _, x := range s {
		d := x - mu
		k2.add(d * d)
	}
	return math.Sqrt(k2.value() / n)
}
