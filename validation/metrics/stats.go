package metrics

import "math"

// This file holds the numeric kernels shared by every derivation
// (validation-core §4.2 and §4.8): compensated sums, means, two-pass population
// variance with an exact zero for constant inputs, and central moments.

// ksum is a compensated accumulator (Kahan–Babuška–Neumaier, written with
// Knuth's branch-free TwoSum): it carries the exact rounding error of every
// addition, so its result is the correctly rounded sum except for
// pathological cancellation, and unlike a naive sum it does not drift when a
// value repeats.
type ksum struct{ s, c float64 }

func (k *ksum) add(x float64) {
	t := k.s + x
	z := t - k.s
	k.c += (k.s - (t - z)) + (x - z)
	k.s = t
}

func (k *ksum) value() float64 {
	if math.IsInf(k.s, 0) {
		return k.s // the compensation is NaN once the sum overflowed
	}
	return k.s + k.c
}

// sum returns the compensated sum of xs.
func sum(xs []float64) float64 {
	var k ksum
	for _, x := range xs {
		k.add(x)
	}
	return k.value()
}

// mean returns the compensated arithmetic mean of xs (NaN when xs is empty).
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return sum(xs) / float64(len(xs))
}

// allEqual reports whether every element of xs equals the first one.
func allEqual(xs []float64) bool {
	for _, x := range xs[min(1, len(xs)):] {
		if x != xs[0] {
			return false
		}
	}
	return true
}

// central are the mean and population central moments m_k = (1/n)·Σ(x − μ)^k
// of a slice, by the two-pass formula with compensated sums. When all values
// are equal the central moments are exactly 0 (CD4).
type central struct {
	n          int
	mean       float64
	m2, m3, m4 float64
}

// centralMoments computes the mean and m2, and m3 and m4 as well when higher
// is true. For an empty slice every field is NaN.
func centralMoments(xs []float64, higher bool) central {
	c := central{n: len(xs)}
	if c.n == 0 {
		nan := math.NaN()
		return central{mean: nan, m2: nan, m3: nan, m4: nan}
	}
	c.mean = mean(xs)
	if allEqual(xs) {
		return c
	}
	var k2, k3, k4 ksum
	if higher {
		for _, x := range xs {
			d := x - c.mean
			d2 := d * d
			k2.add(d2)
			k3.add(d2 * d)
			k4.add(d2 * d2)
		}
	} else {
		for _, x := range xs {
			d := x - c.mean
			k2.add(d * d)
		}
	}
	n := float64(c.n)
	c.m2, c.m3, c.m4 = k2.value()/n, k3.value()/n, k4.value()/n
	return c
}

// variance returns the population variance (ddof 0) of xs: exactly 0 when all
// values are equal, NaN for an empty slice.
func variance(xs []float64) float64 {
	return centralMoments(xs, false).m2
}

// meanStd returns the mean and population standard deviation of xs.
func meanStd(xs []float64) (mu, sd float64) {
	c := centralMoments(xs, false)
	return c.mean, math.Sqrt(c.m2)
}

// ratio returns a/b when b is non-zero and the quotient is finite.
func ratio(a, b float64) (float64, bool) {
	if b == 0 {
		return 0, false
	}
	return finite(a / b)
}

// finite returns x and whether it is a finite number.
func finite(x float64) (float64, bool) {
	return x, !math.IsNaN(x) && !math.IsInf(x, 0)
}

// Moments are the shape statistics of a return series that enter the standard
// error of its Sharpe ratio (validation-core §4.3.9). They are dimensionless.
type Moments struct {
	// N is the number of observations.
	N int
	// Skew is γ3 = m3 / m2^{3/2}, computed from population central moments.
	Skew float64
	// Kurt is γ4 = m4 / m2², the Pearson (not excess) kurtosis: 3 for a normal
	// distribution.
	Kurt float64
}

// SeriesMoments returns the [Moments] of the cleaned series r. It reports false
// when fewer than two values are given, when the second central moment is not
// positive (all values equal gives exactly zero, CD4), or when a moment is not
// finite.
func SeriesMoments(r []float64) (Moments, bool) {
	if len(r) < 2 {
		return Moments{}, false
	}
	return centralMoments(r, true).shape()
}

// shape returns the skewness and Pearson kurtosis of c (see [SeriesMoments]).
func (c central) shape() (Moments, bool) {
	if c.n < 2 || !(c.m2 > 0) {
		return Moments{}, false
	}
	sigma := math.Sqrt(c.m2)
	skew, ok1 := finite(c.m3 / (sigma * sigma * sigma))
	kurt, ok2 := finite(c.m4 / (c.m2 * c.m2))
	if !ok1 || !ok2 {
		return Moments{}, false
	}
	return Moments{N: c.n, Skew: skew, Kurt: kurt}, true
}
