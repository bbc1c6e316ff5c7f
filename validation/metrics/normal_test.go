package metrics

import (
	"math"
	"testing"
)

// TestNormQuantileKnownValues checks Φ⁻¹ against the standard normal quantile
// table (the probit values tabulated e.g. in the Wikipedia article "Normal
// distribution"; the 16 digits below were confirmed with mpmath at 30 digits).
// CD2 requires 1e-8 absolute accuracy on (0, 1); QMTL had the sign wrong below
// 0.02425 and above 0.97575. The lower tail is tested with exactly written small
// probabilities, where Erfinv(2p−1) would already lose precision.
func TestNormQuantileKnownValues(t *testing.T) {
	table := []struct{ q, z float64 }{ // Φ⁻¹(q) = −z
		{0.2, 0.8416212335729142},
		{0.1, 1.2815515655446004},
		{0.05, 1.644853626951473},
		{0.025, 1.959963984540054},
		{0.02, 2.053748910631823},
		{0.01, 2.326347874040841},
		{0.005, 2.575829303548901},
		{0.002, 2.878161739095483},
		{0.001, 3.090232306167814},
		{5e-4, 3.290526731491895},
		{1e-4, 3.719016485455681},
		{5e-5, 3.890591886413094},
		{1e-5, 4.264890793922825},
		{5e-6, 4.417173413469022},
		{1e-6, 4.753424308822899},
		{5e-7, 4.89163847569859},
		{1e-7, 5.199337582192817},
		{5e-8, 5.326723886384496},
		{1e-8, 5.612001244174789},
		{5e-9, 5.73072886823629},
		{1e-9, 5.997807015007687},
		{5e-10, 6.109410204869397},
		{1e-10, 6.361340902404056},
		{1e-20, 9.262340089798408},
		{1e-300, 37.0470962993612},
	}
	for _, c := range table {
		near(t, "NormQuantile(q)", NormQuantile(c.q), -c.z, 1e-14*c.z)
		if c.q >= 1e-3 {
			// Upper tail: 1−q carries a representation error of ~1e-16,
			// which moves the quantile by about 1e-16/φ(z).
			near(t, "NormQuantile(1-q)", NormQuantile(1-c.q), c.z, 1e-12)
		}
	}
	near(t, "NormQuantile(0.5)", NormQuantile(0.5), 0, 0)
	if !math.IsInf(NormQuantile(0), -1) || !math.IsInf(NormQuantile(1), 1) {
		t.Error("NormQuantile(0/1) must be ∓Inf")
	}
	for _, p := range []float64{-0.1, 1.1, math.NaN()} {
		if !math.IsNaN(NormQuantile(p)) {
			t.Errorf("NormQuantile(%v) = %v, want NaN", p, NormQuantile(p))
		}
	}
}

// TestNormRoundTrip checks Φ(Φ⁻¹(p)) = p and the symmetry of Φ⁻¹.
func TestNormRoundTrip(t *testing.T) {
	prev := math.Inf(-1)
	for e := -300.0; e < -0.31; e += 0.37 {
		p := math.Pow(10, e)
		z := NormQuantile(p)
		if !(z > prev) {
			t.Fatalf("NormQuantile not increasing at p=%g: %v after %v", p, z, prev)
		}
		prev = z
		if p >= 1e-6 {
			// ½(1+erf) keeps ~1e-16 absolute precision only, hence the
			// lower bound on p for a relative check.
			near(t, "Φ(Φ⁻¹(p))/p", NormCDF(z)/p, 1, 1e-9)
			near(t, "symmetry", NormQuantile(1-p), -z, 1e-9)
		}
	}
	near(t, "Φ(1)", NormCDF(1), 0.8413447460685429, 1e-15)
	near(t, "Φ(1.959963984540054)", NormCDF(1.959963984540054), 0.975, 1e-15)
	near(t, "Φ(0)", NormCDF(0), 0.5, 0)
}

// TestExpectedMaxZ checks E[max Z_N] against the reference values listed in
// validation-core §4.3.9.
func TestExpectedMaxZ(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want float64
	}{
		{2, 0.519755}, {5, 1.192594}, {10, 1.574598}, {16, 1.800454},
		{42, 2.208694}, {100, 2.530603}, {1000, 3.255122},
	} {
		near(t, "ExpectedMaxZ", ExpectedMaxZ(c.n), c.want, 5e-7)
	}
	for _, n := range []int64{-3, 0, 1} {
		if ExpectedMaxZ(n) != 0 {
			t.Errorf("ExpectedMaxZ(%d) = %v, want 0", n, ExpectedMaxZ(n))
		}
	}
}
