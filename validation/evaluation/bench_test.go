package evaluation

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/worldval/worldval/validation/policy"
)

// BenchmarkEvaluate runs the pipeline on one year of returns (252 periods,
// six decimals, as `worldval bench ingest` submits them) under the test
// policy: derivation, enrichment, rules and the recording steps, the CPU the
// evaluator spends on a verdict before encoding it.
func BenchmarkEvaluate(b *testing.B) {
	p, err := policy.Parse([]byte(testPolicy))
	if err != nil {
		b.Fatal(err)
	}
	res, err := policy.Resolve(p, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(252, 6))
	r := make([]float64, 252)
	for i := range r {
		r[i] = math.Round((0.0005+0.01*rng.NormFloat64())*1e6) / 1e6
	}
	req := Request{WorldID: "bench", StrategyID: "s1", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Returns: r, HasReturns: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(res, req); err != nil {
			b.Fatal(err)
		}
	}
}
