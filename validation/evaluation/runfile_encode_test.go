package evaluation

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestEncodeRunFileRoundTrips: what EncodeRunFile writes, DecodeRunFile
// reads back to the same run, with the returns 21 to a line.
func TestEncodeRunFileRoundTrips(t *testing.T) {
	returns := make([]float64, 50)
	for i := range returns {
		returns[i] = math.Sin(float64(i)) / 100
	}
	in := RunFile{WorldID: "w", StrategyID: "s", RunID: "r1", Stage: "paper", RiskTier: "high",
		Metrics: map[string]any{"diagnostics": map[string]any{"search_intensity": 3.0}}, Returns: returns, HasReturns: true}
	b, err := EncodeRunFile(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeRunFile(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if out.WorldID != in.WorldID || out.StrategyID != in.StrategyID || out.RunID != in.RunID || out.Stage != in.Stage ||
		out.RiskTier != in.RiskTier || !reflect.DeepEqual(out.Metrics, in.Metrics) || !reflect.DeepEqual(out.Returns, in.Returns) || !out.HasReturns {
		t.Fatalf("decoded %+v, want %+v", out, in)
	}
	_, series, _ := strings.Cut(string(b), `"returns": [`)
	if lines := strings.Count(series, "\n    "); lines != 3 {
		t.Errorf("50 returns on %d lines, want 3 (21 to a line)", lines)
	}
	metricsOnly, err := EncodeRunFile(RunFile{WorldID: "w", StrategyID: "s", RunID: "r2", Stage: "backtest", Metrics: map[string]any{"returns": map[string]any{"sharpe": 1.0}}})
	if err != nil {
		t.Fatal(err)
	}
	if back, err := DecodeRunFile(metricsOnly); err != nil || back.HasReturns || strings.Contains(string(metricsOnly), "returns\": [") {
		t.Fatalf("a run file without returns: %v, %+v\n%s", err, back, metricsOnly)
	}
}
