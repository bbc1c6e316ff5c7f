package metrics

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// eulerMascheroni is γ in the expected-maximum formula of validation-core §4.3.9.
const eulerMascheroni = 0.5772156649015329

// NormCDF returns Φ(z), the standard normal cumulative distribution function,
// computed as ½·(1 + erf(z/√2)) exactly as validation-core §4.4 writes it (so
// that results agree bit for bit with other implementations of the spec). It
// returns NaN for NaN and 0 or 1 for ∓Inf.
func NormCDF(z float64) float64 {
	return 0.5 * (1 + math.Erf(z/math.Sqrt2))
}

// NormQuantile returns Φ⁻¹(p), the inverse of [NormCDF], for p in [0, 1]:
// −Inf at 0, +Inf at 1 and NaN outside [0, 1] or for NaN.
//
// It uses Wichura's algorithm AS 241 evaluated directly in p (gonum's
// mathext.NormalQuantile), which is accurate to about 1e-16 relative over the
// whole open interval, including the tails, where QMTL's approximation has the
// wrong sign (deviation CD2). Unlike math.Sqrt2*math.Erfinv(2p−1) it does not
// lose precision for very small p.
func NormQuantile(p float64) float64 {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return math.NaN()
	}
	return mathext.NormalQuantile(p)
}

// ExpectedMaxZ returns E[max Z_N] ≈ (1−γ)·Φ⁻¹(1−1/N) + γ·Φ⁻¹(1−1/(N·e)), the
// expected maximum of N independent standard normal draws used by the deflated
// Sharpe ratio (validation-core §4.3.9, γ = Euler–Mascheroni). It is 0 for
// trials ≤ 1. The result is dimensionless: multiply by the cross-trial standard
// deviation of the Sharpe ratios to get the threshold SR0.
func ExpectedMaxZ(trials int64) float64 {
	if trials <= 1 {
		return 0
	}
	n := float64(trials)
	z1 := NormQuantile(1 - 1/n)
	z2 := NormQuantile(1 - 1/(n*math.E))
	return (1-eulerMascheroni)*z1 + eulerMascheroni*z2
}
