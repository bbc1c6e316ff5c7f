package projections

import (
	"encoding/json"
	"fmt"
	"testing"
)

// The implementations below are trimMetrics and the trim of a rule result as they were before
// the scanning paths (at 9b839b4), kept verbatim as the references the
// package must match byte for byte.

func referenceTrimMetrics(metrics json.RawMessage) (json.RawMessage, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(objectOrEmpty(metrics), &doc); err != nil {
		doc = nil
	}
	kept := make(map[string]json.RawMessage, 5)
	for _, block := range [...]string{"returns", "sample", "risk", "robustness"} {
		if b, ok := doc[block]; ok {
			kept[block] = b
		}
	}
	var diag struct {
		Health json.RawMessage `json:"validation_health"`
	}
	if d, ok := doc["diagnostics"]; ok && json.Unmarshal(d, &diag) == nil && diag.Health != nil {
		kept["diagnostics"] = json.RawMessage(`{"validation_health":` + string(diag.Health) + `}`)
	}
	m, err := json.Marshal(kept)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}

func referenceTrimResult(result json.RawMessage) (json.RawMessage, error) {
	var rc struct {
		ReasonCode *string `json:"reason_code"`
	}
	_ = json.Unmarshal(result, &rc) // a result that is not an object has no reason code
	out := json.RawMessage(`{}`)
	if rc.ReasonCode != nil {
		b, err := json.Marshal(map[string]string{"reason_code": *rc.ReasonCode})
		if err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		out = b
	}
	return out, nil
}

func FuzzTrimMetrics(f *testing.F) {
	metrics, _ := verdictMetrics(f)
	f.Add([]byte(metrics))
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, metrics []byte) {
		got, err := trimMetrics(metrics)
		want, wantErr := referenceTrimMetrics(metrics)
		sameResult(t, fmt.Sprintf("trim %q", metrics), got, err, want, wantErr)
	})
}

func FuzzTrimResult(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, result []byte) {
		got, err := trimResult(result)
		want, wantErr := referenceTrimResult(result)
		sameResult(t, fmt.Sprintf("trim result %q", result), got, err, want, wantErr)
	})
}

// The service's own documents take the scanning paths (the fallback would
// be correct too, but slow).
func TestVerdictTrimsTakeTheScanningPaths(t *testing.T) {
	metrics, health := verdictMetrics(t)
	if _, ok := trimMetricsScanned(json.RawMessage(metrics)); !ok {
		t.Error("trimming the computed metrics took the decoding path")
	}
	trimmed, err := trimMetrics(json.RawMessage(metrics))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := mergeObject(nil, trimmed, healthPatch(t, health)); !ok || err != nil {
		t.Errorf("merging health into the trimmed metrics took the decoding path (%v)", err)
	}
	if _, ok := trimResultScanned(json.RawMessage(`{"status":"fail","reason_code":"dsr_below_min","details":{"b":1,"a":[2]}}`)); !ok {
		t.Error("trimming a rule result took the decoding path")
	}
}

// BenchmarkTrimMetrics trims the computed metrics of testdata/verdict.jsonl,
// as Invariants does at MetricsComputed.
func BenchmarkTrimMetrics(b *testing.B) {
	metrics, _ := verdictMetrics(b)
	for _, c := range []struct {
		name string
		trim func(json.RawMessage) (json.RawMessage, error)
	}{{"reference", referenceTrimMetrics}, {"scanning", trimMetrics}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.trim(json.RawMessage(metrics)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
