package metrics

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// checkWindowSums walks every trailing window of r through windowSums, as
// rollingStd does, and checks each accepted estimate against the exact
// oracle; it returns how many windows were declined.
func checkWindowSums(t *testing.T, r []float64) (declined int) {
	t.Helper()
	sums, ok := newWindowSums(r)
	if !ok {
		return len(r)
	}
	for e := 2; e <= len(r); e++ {
		s := max(0, e-regimeWindow)
		v, ok := sums.pstd(s, e)
		if !ok {
			declined++
			continue
		}
		if want := exactPStd(r[s:e]); !(math.Abs(v-want) <= approxMaxRelErr*want) {
			t.Fatalf("window r[%d:%d] = %v: estimate %v, exact %v", s, e, r[s:e], v, want)
		}
	}
	return declined
}

// TestWindowSumsWithinBound: on series of daily returns at several scales,
// every window is estimated (none declined) within the bound; windows of
// equal or nearly equal values, whose variance cancels, are declined rather
// than estimated wrongly.
func TestWindowSumsWithinBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for _, scale := range []float64{1e-4, 0.01, 1, 1e6} {
		r := make([]float64, 600)
		for i := range r {
			r[i] = scale * (0.0004 + 0.01*rng.NormFloat64())
			if rng.IntN(50) == 0 {
				r[i] *= 8
			}
		}
		if d := checkWindowSums(t, r); d != 0 {
			t.Errorf("scale %g: %d windows declined", scale, d)
		}
	}
	if d := checkWindowSums(t, benchSeries()); d != 0 {
		t.Errorf("benchmark series: %d windows declined", d)
	}
	constant := repeat(0.1, 60)
	if d := checkWindowSums(t, constant); d != len(constant)-1 {
		t.Errorf("constant series: %d of %d windows declined", d, len(constant)-1)
	}
	near := make([]float64, 60)
	for i := range near {
		near[i] = 1 + 1e-13*rng.NormFloat64()
	}
	if d := checkWindowSums(t, near); d == 0 {
		t.Error("a series of nearly equal values was estimated everywhere")
	}
	// A shock leaving the window: the calm windows after it are estimated
	// within the bound or declined.
	shock := repeat(1e-6, 80)
	for i := range shock {
		shock[i] += 1e-9 * rng.NormFloat64()
	}
	shock[10] = 50
	checkWindowSums(t, shock)
	if _, ok := newWindowSums([]float64{0.01, 1e-160}); ok {
		t.Error("a value whose square is subnormal was accepted")
	}
	if _, ok := newWindowSums([]float64{0.01, 1e160}); ok {
		t.Error("a value whose square overflows was accepted")
	}
}

// FuzzWindowSums: whatever the series, every estimate windowSums accepts is
// within approxMaxRelErr of the exact standard deviation.
func FuzzWindowSums(f *testing.F) {
	seed := func(xs ...float64) []byte {
		b := make([]byte, 8*len(xs))
		for i, x := range xs {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
		}
		return b
	}
	f.Add(seed(0.01, -0.02, 0.005, 0.013, -0.007, 0.002, 0, -0.011))
	f.Add(seed(1, 1, 1, 1+1e-15, 1, 1))
	f.Add(seed(1e300, -1e300, 5e-324, 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r []float64
		for ; len(data) >= 8 && len(r) < 200; data = data[8:] {
			x := math.Float64frombits(binary.LittleEndian.Uint64(data))
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				r = append(r, x)
			}
		}
		checkWindowSums(t, r)
	})
}
