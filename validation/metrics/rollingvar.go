package metrics

import "math"

// windowSums estimates the population standard deviation of the trailing
// windows of a series from running sums of x and x², updated by one
// addition and one subtraction per window instead of two sweeps over every
// window, with an explicit bound on the error of each estimate. It is the
// fast volatility path of rollingStd: an estimate whose bound is not good
// enough (a window of nearly equal values, whose variance cancels) is
// declined, and the caller computes that window another way.
//
// The sums are recomputed from scratch every anchorEvery windows, so that
// rounding errors cannot accumulate along the series; between anchors the
// error bounds grow by the rounding of each update. Windows must be asked
// for in order, each ending one value after the previous one.
type windowSums struct {
	r []float64
	// s1 and s2 are Σx and Σx² of r[start:end]; e1 and e2 bound their
	// absolute errors.
	s1, s2, e1, e2 float64
	start, end     int
	// updates counts the windows since the sums were last recomputed.
	updates int
}

// anchorEvery is how many windows share one computation of the sums from
// scratch.
const anchorEvery = 32

// Bounds of the values windowSums handles: squares must neither overflow
// nor become subnormal, where the rounding error bounds are no longer
// relative.
const (
	windowSumsMin = 0x1p-500
	windowSumsMax = 0x1p500
)

// newWindowSums returns running sums over r; ok is false when a value of r
// is outside [windowSumsMin, windowSumsMax] in magnitude (other than 0), for
// which no estimate would be certified.
func newWindowSums(r []float64) (windowSums, bool) {
	for _, x := range r {
		if a := math.Abs(x); a != 0 && !(a >= windowSumsMin && a <= windowSumsMax) {
			return windowSums{}, false
		}
	}
	return windowSums{r: r}, true
}

// rounding inflates a bound on accumulated rounding errors for the terms of
// second order in the unit roundoff that the bounds below leave out.
const rounding = 1.01 * 0x1p-53

// move makes the sums those of r[s:e].
func (w *windowSums) move(s, e int) {
	if w.updates == 0 || e != w.end+1 || s < w.start {
		w.anchor(s, e)
		return
	}
	// Each addition and subtraction errs by at most u·|result|; each square
	// by at most u·x².
	x := w.r[e-1]
	sq := x * x
	w.s1 += x
	w.s2 += sq
	w.e1 += rounding * math.Abs(w.s1)
	w.e2 += rounding * (w.s2 + sq)
	for ; w.start < s; w.start++ {
		y := w.r[w.start]
		sq := y * y
		w.s1 -= y
		w.s2 -= sq
		w.e1 += rounding * math.Abs(w.s1)
		w.e2 += rounding * (math.Abs(w.s2) + sq)
	}
	w.end = e
	w.updates = (w.updates + 1) % anchorEvery
}

// anchor computes the sums of r[s:e] from scratch. Naive summation of k
// terms errs by at most (k−1)·u·Σ|terms|, and the squares by u·Σx² more.
func (w *windowSums) anchor(s, e int) {
	var s1, s2, a1 float64
	for _, x := range w.r[s:e] {
		s1 += x
		s2 += x * x
		a1 += math.Abs(x)
	}
	k := float64(e - s)
	w.s1, w.s2, w.start, w.end = s1, s2, s, e
	w.e1 = rounding * k * a1
	w.e2 = rounding * (k + 1) * s2
	w.updates = 1
}

// pstd returns the population standard deviation of the window r[s:e]
// (e − s ≥ 2), with a relative error below approxMaxRelErr, or false when
// that cannot be guaranteed.
//
// With k = e − s, D = k·S2 − S1² is k²·var. Computed from the sums, it errs
// by at most k·e2 + (2|S1| + e1)·e1 from their errors and u·(k·S2 + S1² +
// |D|) from its own two products and subtraction. The estimate is accepted
// when D > 0 and that bound is below 1e-12·D, so that D is within a
// relative 1e-12/(1 − 1e-12) of the exact value; the square root halves
// that, and the division by k² and the square root itself add less than
// 2u, so the standard deviation is within 0.51e-12 < approxMaxRelErr of the
// exact one.
func (w *windowSums) pstd(s, e int) (float64, bool) {
	w.move(s, e)
	k := float64(e - s)
	d := k*w.s2 - w.s1*w.s1
	if !(d > 0) || math.IsInf(d, 0) {
		return 0, false
	}
	a1 := math.Abs(w.s1)
	errD := k*w.e2 + (2*a1+w.e1)*w.e1 + rounding*(k*w.s2+a1*a1+d)
	if !(errD <= 1e-12*d) {
		return 0, false
	}
	return math.Sqrt(d / (k * k)), true
}
