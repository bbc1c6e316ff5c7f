package metrics

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// tailRiskSorted is tailRisk over the whole sorted series, as it was
// computed before only the smallest values were sorted: the reference the
// values must equal, bit for bit.
func tailRiskSorted(r []float64) (vaR, es opt) {
	if len(r) < 2 {
		return opt{}, opt{}
	}
	sorted := slices.Clone(r)
	slices.Sort(sorted)
	q := quantile(sorted, 0.01)
	vaR = opt{0, true}
	if q < 0 {
		vaR = some(-q)
	}
	end := 0
	for end < len(sorted) && sorted[end] <= q {
		end++
	}
	m := mean(sorted[:end])
	es = opt{0, true}
	if m < 0 {
		es = some(-m)
	}
	return vaR, es
}

// checkTailRisk compares tailRisk with the whole-sort reference.
func checkTailRisk(t *testing.T, r []float64) {
	t.Helper()
	gv, ge := tailRisk(r)
	wv, we := tailRiskSorted(r)
	same := func(a, b opt) bool { return a.ok == b.ok && math.Float64bits(a.v) == math.Float64bits(b.v) }
	if !same(gv, wv) || !same(ge, we) {
		t.Fatalf("%v: var %+v es %+v, whole sort var %+v es %+v", r, gv, ge, wv, we)
	}
}

func TestTailRiskIsTheWholeSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	for c := range 3000 {
		r := make([]float64, 2+rng.IntN(450))
		for i := range r {
			switch c % 4 {
			case 0:
				r[i] = 0.0004 + 0.01*rng.NormFloat64()
			case 1: // coarse grid: ties at the quantile and in the tail
				r[i] = math.Round(rng.NormFloat64()*3) / 100
			case 2: // few distinct values, zeros of both signs
				r[i] = []float64{-0.01, 0, math.Copysign(0, -1), 0.01}[rng.IntN(4)]
			default: // sorted, reversed or constant runs
				r[i] = float64(i%7) / 1000
			}
		}
		if c%5 == 0 {
			slices.Sort(r)
			if c%10 == 0 {
				slices.Reverse(r)
			}
		}
		checkTailRisk(t, r)
	}
	for _, r := range [][]float64{{0.1, 0.1}, {-0.1, 0.2}, repeat(-0.02, 101), append(repeat(-0.05, 3), repeat(0.01, 300)...)} {
		checkTailRisk(t, r)
	}
}

// FuzzTailRisk: whatever the series, tailRisk equals the whole-sort
// reference bit for bit.
func FuzzTailRisk(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r []float64
		for ; len(data) >= 2; data = data[2:] {
			// Few distinct values, so that ties are common.
			r = append(r, float64(int16(binary.LittleEndian.Uint16(data))%64)/1000)
		}
		checkTailRisk(t, r)
	})
}

// BenchmarkTailRisk computes var_p01 and es_p01 of one year and of ten
// years of returns, against sorting the whole series.
func BenchmarkTailRisk(b *testing.B) {
	for _, n := range []int{252, 2520} {
		r := benchSeries()[:n]
		for _, bc := range []struct {
			name string
			f    func([]float64) (opt, opt)
		}{{"smallest", tailRisk}, {"whole-sort", tailRiskSorted}} {
			b.Run(bc.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bc.f(r)
				}
			})
		}
	}
}
