package metrics

import "math"

// This file holds the statistics of the Sharpe-ratio estimator: its standard
// error, the probabilistic and deflated Sharpe ratios (Bailey & López de Prado
// 2012, 2014; validation-core §4.3.9, §4.5.6) and the optional metrics of §4.10.
// Every Sharpe ratio here is per period (one element of the return series), not
// annualised.

// Sharpe returns mean(y)/sd(y) of the per-period excess returns y with the
// population standard deviation (validation-core §4.3.1). It is 0 when y is
// empty or has zero variance (all values equal gives exactly zero, CD4), and NaN
// when the quotient is not finite. The result is per period, not annualised.
func Sharpe(y []float64) float64 {
	return centralMoments(y, false).sharpe()
}

// sharpe returns mean/sd of c with the conventions of [Sharpe].
func (c central) sharpe() float64 {
	if c.n == 0 {
		return 0
	}
	sd := math.Sqrt(c.m2)
	if sd == 0 {
		return 0
	}
	v, ok := finite(c.mean / sd)
	if !ok {
		return math.NaN()
	}
	return v
}

// SharpeVarianceFactor returns V = 1 − skew·sr + ((kurt − 1)/4)·sr², the
// asymptotic variance factor of the per-period Sharpe estimator sr for returns
// with the given skewness and Pearson (non-excess) kurtosis. It reports false
// when V is not positive or not finite.
func SharpeVarianceFactor(sr, skew, kurt float64) (float64, bool) {
	v := 1 - skew*sr + ((kurt-1)/4)*(sr*sr)
	if !(v > 0) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// SharpeStdErr returns σ_SR = √(V/(n−1)), the standard error of the per-period
// Sharpe estimate sr over n observations with V from [SharpeVarianceFactor]. It
// reports false when n < 2 or V is not positive.
func SharpeStdErr(sr, skew, kurt float64, n int) (float64, bool) {
	if n < 2 {
		return 0, false
	}
	v, ok := SharpeVarianceFactor(sr, skew, kurt)
	if !ok {
		return 0, false
	}
	se := math.Sqrt(v / float64(n-1))
	if !(se > 0) || math.IsInf(se, 0) {
		return 0, false
	}
	return se, true
}

// ProbabilisticSharpe returns PSR = clamp_[0,1](Φ((sr − benchmark)/stdErr)), the
// probability that the true per-period Sharpe ratio exceeds benchmark given the
// estimate sr and its standard error (validation-core §4.5.6). It reports false
// when stdErr is not positive or an intermediate value is not finite (§4.8).
func ProbabilisticSharpe(sr, benchmark, stdErr float64) (float64, bool) {
	if !(stdErr > 0) {
		return 0, false
	}
	z, ok := finite((sr - benchmark) / stdErr)
	if !ok {
		return 0, false
	}
	p, ok := finite(NormCDF(z))
	if !ok {
		return 0, false
	}
	return math.Min(1, math.Max(0, p)), true
}

// DeflatedSharpeThreshold returns SR0 = trialStd·[ExpectedMaxZ](trials), the
// per-period Sharpe ratio expected from the best of trials unskilled variants
// whose Sharpe ratios have standard deviation trialStd (validation-core §4.3.9).
// It is 0 for trials ≤ 1.
func DeflatedSharpeThreshold(trialStd float64, trials int64) float64 {
	if trials <= 1 {
		return 0
	}
	return trialStd * ExpectedMaxZ(trials)
}

// DeflatedSharpe returns DSR = PSR(sr against SR0) with SR0 from
// [DeflatedSharpeThreshold]: the probability that the per-period Sharpe ratio sr,
// selected as the best of trials variants, is genuine. With trials ≤ 1 it equals
// the PSR against 0. It reports false like [ProbabilisticSharpe].
func DeflatedSharpe(sr, stdErr, trialStd float64, trials int64) (float64, bool) {
	sr0 := DeflatedSharpeThreshold(trialStd, trials)
	if math.IsNaN(sr0) || math.IsInf(sr0, 0) {
		return 0, false
	}
	return ProbabilisticSharpe(sr, sr0, stdErr)
}

// MinTrackRecordLength returns 1 + V·(Φ⁻¹(1−alpha)/(sr − target))², the number
// of periods needed for the per-period Sharpe estimate sr to exceed target with
// confidence 1−alpha (Bailey & López de Prado 2012; validation-core §4.10). V is
// [SharpeVarianceFactor]. It reports false when sr ≤ target, V is not positive,
// alpha is outside (0, 1) or the result is not finite. The unit is periods.
func MinTrackRecordLength(sr, target, skew, kurt, alpha float64) (float64, bool) {
	if !(sr > target) || !(alpha > 0 && alpha < 1) {
		return 0, false
	}
	v, ok := SharpeVarianceFactor(sr, skew, kurt)
	if !ok {
		return 0, false
	}
	q := NormQuantile(1-alpha) / (sr - target)
	return finite(1 + v*q*q)
}

// Sortino returns mean(y)/√((1/n)·Σ min(0, y_t)²), the per-period Sortino
// ratio of the excess returns y with target 0 and the downside deviation taken
// over all n periods (validation-core §4.10). It reports false when n < 2, the
// downside deviation is 0, or the result is not finite.
func Sortino(y []float64) (float64, bool) {
	if len(y) < 2 {
		return 0, false
	}
	var k ksum
	for _, v := range y {
		if v < 0 {
			k.add(v * v)
		}
	}
	dd := math.Sqrt(k.value() / float64(len(y)))
	if !(dd > 0) {
		return 0, false
	}
	return finite(mean(y) / dd)
}
