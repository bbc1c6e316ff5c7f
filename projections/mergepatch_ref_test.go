package projections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The implementations below are mergePatch and withValidationHealth as they were before
// the scanning paths (at 9b839b4), kept verbatim as the references the
// package must match byte for byte.

func referenceMergePatch(target, patch json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(patch)) == 0 {
		return target, nil
	}
	var t, p any
	if err := decodeNumbers(objectOrEmpty(target), &t); err != nil {
		return nil, fmt.Errorf("merge patch target: %w", err)
	}
	if err := decodeNumbers(patch, &p); err != nil {
		return nil, fmt.Errorf("merge patch: %w", err)
	}
	out, err := json.Marshal(referenceMergeValue(t, p))
	if err != nil {
		return nil, fmt.Errorf("merge patch: %w", err)
	}
	return out, nil
}

func referenceMergeValue(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = make(map[string]any, len(pm))
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = referenceMergeValue(tm[k], v)
	}
	return tm
}

func referenceWithValidationHealth(metrics, health json.RawMessage) (json.RawMessage, error) {
	if b := bytes.TrimSpace(health); len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return metrics, nil
	}
	patch := make([]byte, 0, len(health)+48)
	patch = append(patch, `{"diagnostics":{"validation_health":`...)
	patch = append(patch, health...)
	patch = append(patch, "}}"...)
	return referenceMergePatch(metrics, patch)
}

// jsonSeeds are documents that exercise what the scanning paths must get
// right: key order, repeated keys, whitespace, escapes, characters
// json.Marshal escapes, invalid UTF-8, number forms, nulls, invalid JSON,
// and the members the merges and trims look for.
var jsonSeeds = []string{
	``, `null`, ` null `, `{}`, `[]`, `1`, `"s"`, `true`, `{`, `}`, `{"a":}`, `{"a":1,}`, `[1,]`, `{"a":1}x`, `{"a":1} `,
	`{"a":1}{"b":2}`, `{"a":01}`, `{"a":-0}`, `{"a":1.0}`, `{"a":1e-7}`, `{"a":1E+07}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`,
	`{"a":123456789012345678901234567890}`, `{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"a":{"x":1},"a":{"y":2}}`,
	`{ "a" : 1 }`, "{\"a\":\t1}", `{"a":[1, 2]}`, `{"a":"x\"y"}`, `{"a":"\u0041"}`, `{"\u0061":1}`, `{"a\/":1}`,
	`{"a":"<&>"}`, `{"<":1}`, "{\"a\":\"\u2028\"}", "{\"a\":\"\xff\"}", "{\"\xff\":1}", "{\"a\":\"\x01\"}", `{"a":"\x"}`,
	`{"a":"\ud800"}`, `{"a":tru}`, `{"a":truex}`, `{"a":nul}`, `{"a":null}`, `{"a":[null,{"b":null}]}`,
	`{"diagnostics":{"validation_health":{"x":1}}}`, `{"diagnostics":{"validation_health":null}}`,
	`{"diagnostics":{"validation_health":1,"validation_health":2}}`, `{"diagnostics":{"Validation_Health":1}}`,
	`{"diagnostics":{"validatıon_health":1}}`, `{"diagnostics":[1]}`, `{"diagnostics":"x"}`, `{"diagnostics":null}`,
	`{"diagnostics":{"validation_health": { "a" : [1, 2] }}}`, `{"diagnostics":{"other":1}}`,
	`{"returns":{"sharpe":1.2},"sample":{"n":1},"risk":{},"robustness":[],"stress":{"x":1}}`,
	`{"returns":{"b":1, "a":"<"},"returns":{"c":2}}`, `{"retu\u0072ns":1}`, `{"Returns":1}`,
	`{"reason_code":"ok"}`, `{"reason_code":null}`, `{"reason_code":5}`, `{"reason_code":"a","reason_code":5}`,
	`{"reason_code":"a","reason_code":null,"reason_code":[1]}`, `{"reason_code":{"x":1}}`, `{"Reason_Code":"x"}`,
	`{"reason_code":"a<b"}`, `{"reason_code":"\u00e9\n"}`, "{\"reason_code\":\"\xff\"}", `{"reason_code":"ok","details":{"b":1,"a":2}}`,
	`{"diagnostics":{"validation_health":{"a":1,"b":{"c":2}},"z":[1,{"y":1,"x":2}]},"returns":{"s":1}}`,
	`{"a":{"b":{"c":{"d":[[[[{"e":null}]]]]}}}}`, strings.Repeat(`[`, 1200) + strings.Repeat(`]`, 1200),
	`{"a":` + strings.Repeat(`[`, 1200) + strings.Repeat(`]`, 1200) + `}`,
}

// patchSeeds are merge patches, and validation health documents.
var patchSeeds = []string{
	``, ` `, `null`, `{}`, `5`, `[1]`, `"x"`, `{`, `{"a":1} x`, `{"a":null}`, `{"a":{"x":null}}`, `{"a":{"x":1}}`,
	`{"new":{"deep":{"k":null,"v":"<"}}}`, `{"diagnostics":{"validation_health":{"metric_coverage_ratio":0.75,"rules_executed_ratio":1}}}`,
	`{"diagnostics":{"validation_health":null}}`, `{"diagnostics":null}`, `{"diagnostics":{"validation_health":{"note":null}}}`,
	`{"b":2,"a":1,"c":null}`, `{"\u00e9":1}`, `{"a":{"b":{"c":{"d":1}}}}`, `{"a":[{"b":null}]}`, `{"stress":{"crash_2020":{"dd_max":0.20}}}`,
}

// verdictMetrics returns the metrics documents of testdata/verdict.jsonl
// and its validation health, the documents the service really merges.
func verdictMetrics(t testing.TB) (metrics, health string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "verdict.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		var e struct {
			Type    string
			Payload struct {
				Metrics          json.RawMessage
				ValidationHealth json.RawMessage `json:"validation_health"`
			}
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		switch e.Type {
		case "MetricsComputed":
			metrics = string(e.Payload.Metrics)
		case "EvaluationCompleted":
			health = string(e.Payload.ValidationHealth)
		}
	}
	return metrics, health
}

func sameResult(t *testing.T, what string, got []byte, gotErr error, want []byte, wantErr error) {
	t.Helper()
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("%s: error %v, reference error %v", what, gotErr, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func FuzzMergePatch(f *testing.F) {
	metrics, health := verdictMetrics(f)
	f.Add([]byte(metrics), []byte(`{"diagnostics":{"validation_health":`+health+`}}`))
	for _, t := range jsonSeeds {
		for _, p := range patchSeeds {
			f.Add([]byte(t), []byte(p))
		}
	}
	f.Fuzz(func(t *testing.T, target, patch []byte) {
		got, err := mergePatch(target, patch)
		want, wantErr := referenceMergePatch(target, patch)
		sameResult(t, fmt.Sprintf("merge %q into %q", patch, target), got, err, want, wantErr)
	})
}

// The service's own documents take the scanning path (the fallback would be
// correct too, but slow), and give the reference's bytes.
func TestVerdictMetricsTakeTheScanningPath(t *testing.T) {
	metrics, health := verdictMetrics(t)
	merged, err := withValidationHealth(json.RawMessage(metrics), json.RawMessage(health))
	if err != nil {
		t.Fatal(err)
	}
	want, err := referenceWithValidationHealth(json.RawMessage(metrics), json.RawMessage(health))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(merged, want) {
		t.Fatalf("merged health:\n got %s\nwant %s", merged, want)
	}
	if _, ok, err := mergeObject(nil, []byte(metrics), healthPatch(t, health)); !ok || err != nil {
		t.Errorf("merging the verdict's health took the decoding path (%v)", err)
	}
}

// healthPatch is the merge patch withValidationHealth makes of health.
func healthPatch(t testing.TB, health string) map[string]any {
	t.Helper()
	var p map[string]any
	if err := decodeNumbers([]byte(`{"diagnostics":{"validation_health":`+health+`}}`), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWithValidationHealthMatchesReference(t *testing.T) {
	metrics, health := verdictMetrics(t)
	cases := []struct{ metrics, health string }{
		{metrics, health},
		{metrics, ``},
		{metrics, `null`},
		{metrics, ` {"metric_coverage_ratio":null} `},
		{`{"returns":{"sharpe":1}}`, health},
		{`{}`, health},
		{``, health},
		{`{"diagnostics":5}`, health},
		{`{"diagnostics":{"validation_health":[1]}}`, health},
		{`{"b":1, "a":{"y":"<","x":1}}`, `{"k":1}`},
		{`{"diagnostics":{"validation_health":{"a":1}}}`, `1 2`},
		{`{"diagnostics":{"validation_health":{"a":1}}}`, `1}, "x": {"y":2`},
		{`[1]`, health},
		{`{"a":1`, health},
		{metrics, `{"metric_coverage_ratio":`},
	}
	for _, c := range cases {
		got, err := withValidationHealth(json.RawMessage(c.metrics), json.RawMessage(c.health))
		want, wantErr := referenceWithValidationHealth(json.RawMessage(c.metrics), json.RawMessage(c.health))
		sameResult(t, fmt.Sprintf("health %q into %q", c.health, c.metrics), got, err, want, wantErr)
	}
}

// BenchmarkWithValidationHealth merges the verdict's health into the
// computed metrics of testdata/verdict.jsonl, as every run projection does
// at EvaluationCompleted.
func BenchmarkWithValidationHealth(b *testing.B) {
	metrics, health := verdictMetrics(b)
	for _, c := range []struct {
		name  string
		merge func(metrics, health json.RawMessage) (json.RawMessage, error)
	}{{"reference", referenceWithValidationHealth}, {"scanning", withValidationHealth}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.merge(json.RawMessage(metrics), json.RawMessage(health)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// decodeValue decodes as decodeNumbers does.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	for _, s := range patchSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := decodeValue(doc)
		var want any
		wantErr := decodeNumbers(doc, &want)
		if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("decode %q = %#v, %v; decodeNumbers: %#v, %v", doc, got, err, want, wantErr)
		}
	})
}
