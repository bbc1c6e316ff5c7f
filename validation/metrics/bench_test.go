package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// benchSeries returns ten years of seeded synthetic daily returns (2,520
// periods): a small drift plus normal noise with occasional fat-tailed shocks.
func benchSeries() []float64 {
	rng := rand.New(rand.NewPCG(2520, 42))
	r := make([]float64, 2520)
	for i := range r {
		r[i] = 0.0004 + 0.01*rng.NormFloat64()
		if rng.IntN(50) == 0 {
			r[i] *= 4
		}
	}
	return r
}

// BenchmarkCore measures the core block of validation-core §4.3 (target ≤ 100 µs
// for 2,520 periods): cleaning, the metrics and writing them into a document.
func BenchmarkCore(b *testing.B) {
	r := benchSeries()
	b.ReportAllocs()
	for b.Loop() {
		f := &filler{doc: Normalize(nil)}
		clean := Clean(r)
		c := computeCore(clean, Params{}, Trials(f.doc), opt{})
		c.write(f)
	}
}

// BenchmarkDerive measures the whole Derive call, core and advanced blocks
// (target ≤ 2 ms for 2,520 periods).
func BenchmarkDerive(b *testing.B) {
	r := benchSeries()
	submitted := map[string]any{"diagnostics": map[string]any{"search_intensity": 20.0}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Derive(submitted, r, true, Params{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegimeCoverage isolates the rolling-volatility classification, the
// most expensive advanced metric.
func BenchmarkRegimeCoverage(b *testing.B) {
	r := benchSeries()
	b.ReportAllocs()
	for b.Loop() {
		regimeCoverage(r)
	}
}

// BenchmarkRegimeCoverageYear classifies one year (252 periods) of returns
// rounded to six decimals, the series `worldval bench ingest` submits.
func BenchmarkRegimeCoverageYear(b *testing.B) {
	r := benchSeries()[:252]
	for i := range r {
		r[i] = math.Round(r[i]*1e6) / 1e6
	}
	b.ReportAllocs()
	for b.Loop() {
		regimeCoverage(r)
	}
}

// BenchmarkRegimeCoveragePeriodic is the worst case for exact tie handling: a
// periodic series whose windows all tie.
func BenchmarkRegimeCoveragePeriodic(b *testing.B) {
	r := make([]float64, 2520)
	for i := range r {
		r[i] = []float64{0.01, -0.004, 0.002, -0.007, 0.003}[i%5]
	}
	b.ReportAllocs()
	for b.Loop() {
		regimeCoverage(r)
	}
}

// BenchmarkDecodeReturns decodes a 2,520-element JSON array.
func BenchmarkDecodeReturns(b *testing.B) {
	data, err := json.Marshal(benchSeries())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeReturns(data); err != nil {
			b.Fatal(err)
		}
	}
}
