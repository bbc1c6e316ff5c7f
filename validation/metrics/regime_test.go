package metrics

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// exactPStd is an independent oracle for the rolling volatility: the
// population standard deviation of xs from the exact sums Σx and Σx² (binary
// floating point with 3,000 bits holds every sum and product of float64
// values exactly), divided and square-rooted at that precision and rounded to
// float64 once. This is what Python's statistics.pstdev computes.
func exactPStd(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	const prec = 3000
	nf := func() *big.Float { return new(big.Float).SetPrec(prec) }
	s1, s2 := nf(), nf()
	for _, x := range xs {
		bx := nf().SetFloat64(x)
		s1.Add(s1, bx)
		s2.Add(s2, bx.Mul(bx, bx))
	}
	k := nf().SetInt64(int64(len(xs)))
	d := nf().Mul(s2, k)
	d.Sub(d, nf().Mul(s1, s1))
	if d.Sign() <= 0 {
		return 0
	}
	v := d.Quo(d, nf().Mul(k, k))
	f, _ := v.Sqrt(v).Float64()
	return f
}

// exactRegimes classifies with the oracle.
func exactRegimes(r []float64) regimes {
	vols := make([]float64, len(r))
	for t := range r {
		vols[t] = exactPStd(r[max(0, t-regimeWindow+1) : t+1])
	}
	sorted := slices.Clone(vols)
	slices.Sort(sorted)
	q33, q66 := quantile(sorted, 1.0/3.0), quantile(sorted, 2.0/3.0)
	var low, high int
	for _, v := range vols {
		if v <= q33 {
			low++
		} else if v > q66 {
			high++
		}
	}
	n := float64(len(r))
	return regimes{float64(low) / n, float64(len(r)-low-high) / n, float64(high) / n}
}

// TestRegimeCoverageMatchesExactOracle: periodic series produce many windows
// with equal variances whose ties decide the classification (validation-core
// §4.5.4, corpus M03). The classification must be exactly the one obtained with
// exact rational volatilities.
func TestRegimeCoverageMatchesExactOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var cases [][]float64
	for _, pattern := range [][]float64{
		{0.01, -0.01},
		{0.01, 0.02, -0.005},
		{0.013, -0.007, 0.002, 0.0, -0.011},
		{0.1, 0.1, 0.1, -0.3},
		{0.001, 0.002, 0.003, 0.004, 0.005, 0.006, -0.021},
	} {
		for _, n := range []int{15, 45, 60, 101, 250} {
			r := make([]float64, n)
			for i := range r {
				r[i] = pattern[i%len(pattern)]
			}
			cases = append(cases, r)
		}
	}
	// Noisy periodic series on coarse decimal grids: many exact ties and
	// near-ties between different multisets.
	for range 150 {
		r := make([]float64, 20+rng.IntN(120))
		grid := []float64{100, 1000, 10000}[rng.IntN(3)]
		period := 1 + rng.IntN(9)
		for i := range r {
			if i < period || rng.IntN(4) == 0 {
				r[i] = math.Round(rng.NormFloat64()*grid/50) / grid
			} else {
				r[i] = r[i-period]
			}
		}
		cases = append(cases, r)
	}
	// Series without periodicity, as clients send them (rounded to a few
	// decimals, or not), where no recomputation is needed at all, and
	// short ones, whose quantile ranks are neighbours.
	for c := range 200 {
		r := make([]float64, 2+rng.IntN(300))
		digits := []float64{0, 1e2, 1e4, 1e6}[c%4]
		for i := range r {
			r[i] = 0.0004 + 0.01*rng.NormFloat64()
			if digits > 0 {
				r[i] = math.Round(r[i]*digits) / digits
			}
		}
		cases = append(cases, r)
	}
	for i, r := range cases {
		got, ok := regimeCoverage(r)
		if !ok {
			t.Fatalf("case %d: not ok", i)
		}
		if want := exactRegimes(r); got != want {
			t.Errorf("case %d (n=%d, head %v): got %+v, want %+v", i, len(r), r[:min(6, len(r))], got, want)
		}
	}
}

// TestExactStdMatchesOracle: the integer implementation returns the correctly
// rounded standard deviation, bit for bit, independent of value order, with
// exactly 0 for constant windows.
func TestExactStdMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	var ex exactStd
	for c := range 2000 {
		xs := make([]float64, 2+rng.IntN(regimeWindow-1))
		for i := range xs {
			switch c % 4 {
			case 0:
				xs[i] = rng.NormFloat64() * 0.01
			case 1:
				xs[i] = math.Round(rng.NormFloat64()*100) / 10000
			case 2:
				xs[i] = math.Ldexp(rng.NormFloat64(), rng.IntN(200)-100) // wide exponent range
			default:
				xs[i] = 1 + rng.NormFloat64()*1e-13 // tiny dispersion around a large mean
			}
		}
		got, want := ex.pstd(xs), exactPStd(xs)
		if got != want {
			t.Fatalf("case %d %v: got %v, want %v", c, xs, got, want)
		}
		rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
		if again := ex.pstd(xs); again != got {
			t.Fatalf("case %d: order changed the result: %v vs %v", c, again, got)
		}
	}
	for _, xs := range [][]float64{{0.1, 0.1, 0.1}, {math.Copysign(0, -1), 0}, {5e-324, 5e-324}} {
		if v := ex.pstd(xs); v != 0 {
			t.Errorf("pstd(%v) = %v, want exactly 0", xs, v)
		}
	}
	for _, xs := range [][]float64{
		{0, 1e-320}, {5e-324, 0, 0}, {-0.02, 1e300}, {math.MaxFloat64, -math.MaxFloat64}, {1e300, -1e300, 5e-324},
	} {
		if got, want := ex.pstd(xs), exactPStd(xs); got != want || math.IsInf(got, 0) {
			t.Errorf("pstd(%v) = %v, want %v", xs, got, want)
		}
	}
}

// TestRollingStdConstantWindows: windows of equal values give exactly 0, and
// every volatility is within the proven bound of the exact one.
func TestRollingStdConstantWindows(t *testing.T) {
	vols, _ := rollingStd(repeat(0.1, 50), regimeWindow)
	for _, v := range vols {
		if v != 0 {
			t.Fatalf("constant window: %v, want exactly 0", v)
		}
	}
	rng := rand.New(rand.NewPCG(9, 9))
	r := make([]float64, 300)
	for i := range r {
		r[i] = rng.NormFloat64() * 0.02
	}
	vols, sorted := rollingStd(r, regimeWindow)
	if !slices.IsSorted(sorted) || len(sorted) != len(vols) {
		t.Fatal("sorted volatilities are not sorted")
	}
	for i, v := range vols {
		want := exactPStd(r[max(0, i-regimeWindow+1) : i+1])
		if math.Abs(v-want) > approxMaxRelErr*want {
			t.Fatalf("v[%d] = %v, exact %v", i, v, want)
		}
	}
}

// rollingStdTwoPass is rollingStd's fast path before windowSums: every
// window swept twice (approxPStd), for the comparison in
// BenchmarkRollingApprox.
func rollingStdTwoPass(r []float64, w int) []float64 {
	var ex exactStd
	vols := make([]float64, len(r))
	for t := range r {
		win := r[max(0, t-w+1) : t+1]
		v, ok := approxPStd(win)
		if !ok {
			v = ex.pstd(win)
		}
		vols[t] = v
	}
	return vols
}

// rollingStdSums is the fast path of rollingStd through windowSums, falling
// back to approxPStd as rollingStd does.
func rollingStdSums(r []float64, w int) []float64 {
	var ex exactStd
	vols := make([]float64, len(r))
	sums, haveSums := newWindowSums(r)
	for t := range r {
		start := max(0, t-w+1)
		if t-start+1 < 2 {
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
			v = ex.pstd(win)
		}
		vols[t] = v
	}
	return vols
}

// BenchmarkRollingApprox compares the two ways of estimating the 2,520
// window volatilities of the benchmark series, before the classification.
func BenchmarkRollingApprox(b *testing.B) {
	r := benchSeries()
	b.Run("windowSums", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rollingStdSums(r, regimeWindow)
		}
	})
	b.Run("two-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rollingStdTwoPass(r, regimeWindow)
		}
	})
}
