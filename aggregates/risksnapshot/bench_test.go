package risksnapshot_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/worldval/worldval/aggregates/risksnapshot"
)

// benchBody is a snapshot of 200 strategies with a 100-entry covariance and
// 100 points of realized returns each side of the inline threshold.
func benchBody(b *testing.B) []byte {
	b.Helper()
	weights := map[string]float64{}
	cov := map[string]float64{}
	realized := map[string][]float64{}
	for i := range 200 {
		s := fmt.Sprintf("strategy-%03d", i)
		weights[s] = 1.0 / 200
		if i < 100 {
			cov[s+","+s] = 0.0004 + float64(i)*1e-6
		}
		if i < 2 {
			series := make([]float64, 50)
			for j := range series {
				series[j] = float64(j%7-3) * 0.001
			}
			realized[s] = series
		}
	}
	body, err := json.Marshal(map[string]any{
		"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": weights, "covariance": cov,
		"realized_returns": realized, "stress": map[string]any{"crash": map[string]any{"max_drawdown": 0.3}},
		"provenance": map[string]any{"source": "risk-engine"},
	})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkParse measures the whole contract of one snapshot: decode,
// checks, normalization and the canonical SHA-256.
func BenchmarkParse(b *testing.B) {
	body := benchBody(b)
	c := &risksnapshot.Contract{TTLSecDefault: 900, TTLSecMax: 86400}
	in := risksnapshot.Input{World: "w", Body: body, HeaderActor: "gateway", HeaderStage: "paper"}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComputeHash measures the canonical form and its hash alone.
func BenchmarkComputeHash(b *testing.B) {
	c := &risksnapshot.Contract{TTLSecDefault: 900, TTLSecMax: 86400}
	s, err := c.Parse(risksnapshot.Input{World: "w", Body: benchBody(b), HeaderActor: "gateway", HeaderStage: "paper"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ComputeHash(); err != nil {
			b.Fatal(err)
		}
	}
}
