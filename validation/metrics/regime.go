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
	vols, sorted := rollingStd(r, regimeWindow)
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

// Bounds of the fast volatility path of rollingStd (relative errors).
const (
	// approxMaxRelErr is the largest proven relative error of a fast
	// window volatility that is accepted without exact recomputation.
	approxMaxRelErr = 1e-12
	// tieTolerance groups sorted volatilities closer than this (relative)
	// into one cluster whose order must be settled exactly.
	tieTolerance = 1e-10
)

// rollingStd returns v_t, the population standard deviation of the trailing
// window r[max(0, t−w+1) .. t] (0 when it holds fewer than two values), as the
// correctly rounded square root of the exact variance, which is what QMTL's
// statistics.pstdev computes.
//
// Exactness matters (validation-core §4.5.4): periodic series produce many
// windows whose variances are mathematically equal, and any rounding
// difference between them changes the tercile classification. Computing every
// window exactly is slow, so each window first gets a fast estimate with a
// proven relative error below approxMaxRelErr: from running sums, updated in
// O(1) per window (see [windowSums]), or, where their bound is too poor,
// from a two-pass sweep of the window; windows for which neither bound holds
// are computed exactly at once. Only the estimates that can influence the
// classification are then recomputed exactly: the clusters of near-equal
// values (closer than tieTolerance ≫ the error bound) around the sorted ranks
// that the 1/3 and 2/3 quantiles interpolate between. Every other window is
// separated from those clusters by more than its error, so its classification
// is the exact one. A span of ranks without near-equal values (the usual case
// for a series that is not periodic) needs no recomputation either: a
// quantile interpolated between two values separated by more than
// tieTolerance lies, with estimates as with exact values, at or above the
// lower one and well below the upper one, so each window is classified as
// with exact values.
//
// It also returns the volatilities sorted ascending.
func rollingStd(r []float64, w int) (vols, sorted []float64) {
	var ex exactStd
	vols = make([]float64, len(r))
	exact := make([]bool, len(r))
	sums, haveSums := newWindowSums(r)
	for t := range r {
		start := max(0, t-w+1)
		if t-start+1 < 2 {
			vols[t], exact[t] = 0, true
			continue
		}
		if haveSums {
			if v, ok := sums.pstd(start, t+1); ok {
				vols[t] = v
				continue
			}
		}
		win := r[start : t+1]
		v, ok := approxPStd(win)
		if !ok {
			v, exact[t] = ex.pstd(win), true
		}
		vols[t] = v
	}

	sorted = slices.Clone(vols)
	slices.Sort(sorted)
	var memo map[[regimeWindow]float64]float64
	var key [regimeWindow]float64
	for _, span := range tieClusters(sorted) {
		lo, hi := span[0], span[1]
		if !hasTie(sorted[lo : hi+1]) {
			continue // separated values: their last bits decide nothing
		}
		from, to := sorted[lo], sorted[hi]
		// Recompute the members exactly and write them back, sorted, over
		// their ranks (a capacity-limited slice cannot spill over).
		seg := sorted[lo : lo : hi+1]
		for t, v := range vols {
			if v < from || v > to {
				continue
			}
			if !exact[t] {
				win := r[max(0, t-w+1) : t+1]
				if len(win) == regimeWindow {
					copy(key[:], win)
					slices.Sort(key[:])
					x, ok := memo[key]
					if !ok {
						x = ex.pstd(key[:])
						if memo == nil {
							memo = make(map[[regimeWindow]float64]float64)
						}
						memo[key] = x
					}
					vols[t] = x
				} else {
					vols[t] = ex.pstd(win)
				}
				exact[t] = true
			}
			seg = append(seg, vols[t])
		}
		slices.Sort(seg)
		if len(seg) != hi-lo+1 {
			// Cannot happen (sorted is a sorted copy of vols), but a
			// mismatch must not leave a corrupt order behind.
			sorted = slices.Clone(vols)
			slices.Sort(sorted)
		}
	}
	return vols, sorted
}

// tieClusters returns the disjoint rank ranges [lo, hi] of the sorted
// volatilities that the 1/3 and 2/3 linear quantiles interpolate between,
// each widened to its cluster of near-equal values (see [closeTie]).
func tieClusters(sorted []float64) [][2]int {
	n := len(sorted)
	var spans [][2]int
	for _, p := range [...]float64{1.0 / 3.0, 2.0 / 3.0} {
		h := float64(n-1) * p
		lo, hi := int(math.Floor(h)), int(math.Ceil(h))
		for lo > 0 && closeTie(sorted[lo-1], sorted[lo]) {
			lo--
		}
		for hi < n-1 && closeTie(sorted[hi], sorted[hi+1]) {
			hi++
		}
		if k := len(spans) - 1; k >= 0 && lo <= spans[k][1]+1 {
			spans[k][1] = max(spans[k][1], hi) // overlapping or adjacent: merge
			continue
		}
		spans = append(spans, [2]int{lo, hi})
	}
	return spans
}

// hasTie reports whether two neighbours of the sorted values are within
// tieTolerance of each other.
func hasTie(sorted []float64) bool {
	for i := 1; i < len(sorted); i++ {
		if closeTie(sorted[i-1], sorted[i]) {
			return true
		}
	}
	return false
}

// closeTie reports whether the sorted neighbours a ≤ b are within tieTolerance.
func closeTie(a, b float64) bool {
	return a == b || b-a <= tieTolerance*b
}

// approxPStd returns the population standard deviation of xs by the two-pass
// formula and whether its relative error is provably below approxMaxRelErr.
// Constant windows give exactly 0.
//
// The error bound: Σ(x_i − μ̂)² = Σ(x_i − μ)² + k(μ̂ − μ)², the computed sum has
// relative rounding error ≤ (k+3)ε, and the naive mean is off by at most
// k·ε·max|x|, so the relative error of the variance is at most
// (k+3)ε + (k·ε·max|x|/σ)²; a generous multiple of that is tested.
func approxPStd(xs []float64) (float64, bool) {
	k := len(xs)
	if k < 2 || allEqual(xs) {
		return 0, true
	}
	var s, maxAbs float64
	for _, x := range xs {
		s += x
		if a := math.Abs(x); a > maxAbs {
			maxAbs = a
		}
	}
	mu := s / float64(k)
	var ss float64
	for _, x := range xs {
		d := x - mu
		ss += d * d
	}
	v := math.Sqrt(ss / float64(k))
	if !(v > 0) || math.IsInf(v, 0) {
		return v, false
	}
	const eps = 0x1p-53
	drift := float64(k) * eps * maxAbs / v
	bound := 4 * (float64(k+8)*eps + 2*drift*drift)
	return v, bound < approxMaxRelErr
}
