package extended

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestStressFor(t *testing.T) {
	known := func(id string) bool { return id == "s1" || id == "s2" }
	shared := json.RawMessage(`{"crash": {"max_drawdown": 0.3, "es_99": 0.2, "label": "x", "flag": true}, "note": "n"}`)
	perStrategy := json.RawMessage(`{"s1": {"crash": {"max_drawdown": 0.4}}, "s3": {"rates": {"var_99": 0.1}}}`)
	nested := json.RawMessage(`{"strategies": {"s2": {"rates": {"dd_max": -0.15}}}}`)
	crash := map[string]any{"crash": map[string]any{"max_drawdown": 0.3, "es_99": 0.2}}
	for _, c := range []struct {
		name    string
		payload json.RawMessage
		s       string
		want    map[string]any
	}{
		{"shared applies to everyone", shared, "s9", crash},
		{"own bucket", perStrategy, "s1", map[string]any{"crash": map[string]any{"max_drawdown": 0.4}}},
		// D8: s2 has no bucket in a per-strategy payload, so it gets
		// nothing, not the other strategies' buckets as scenarios.
		{"no leak", perStrategy, "s2", nil},
		{"nested bucket", nested, "s2", map[string]any{"rates": map[string]any{"dd_max": -0.15}}},
		{"nested, no bucket", nested, "s1", nil},
		{"no object values", json.RawMessage(`{"crash": 0.3}`), "s1", nil},
		{"not an object", json.RawMessage(`[1]`), "s1", nil},
	} {
		if got := StressFor(c.payload, c.s, known); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if !StressShared(shared, known) || StressShared(perStrategy, known) || StressShared(nested, known) {
		t.Error("StressShared misreads a shape")
	}
	if dd, ok := StressMaxDrawdown(map[string]any{"dd_max": -0.15}); !ok || dd != 0.15 {
		t.Errorf("dd_max alias: %v %v", dd, ok)
	}
}
