package extended

import (
	"encoding/json"
	"reflect"
	"testing"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := DecodeObject(json.RawMessage(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDiffApply checks that Diff gives the RFC 7386 patch between two
// documents (RFC 7386 appendix A style cases) and that applying it yields
// the target.
func TestDiffApply(t *testing.T) {
	for _, c := range []struct{ from, to, patch string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"a":"b","b":"c"}`, `{"b":"c"}`},
		{`{"a":"b","b":"c"}`, `{"a":"b"}`, `{"b":null}`},
		{`{"a":{"b":"c","d":1}}`, `{"a":{"b":"c","d":2,"e":[1,2]}}`, `{"a":{"d":2,"e":[1,2]}}`},
		{`{"a":[1,2]}`, `{"a":[1,2]}`, `{}`},
		{`{"a":{"b":1}}`, `{"a":3}`, `{"a":3}`},
		{`{"risk":{"incremental_var_99":0.1},"x":1}`, `{"risk":{},"x":1}`, `{"risk":{"incremental_var_99":null}}`},
	} {
		from, to := decode(t, c.from), decode(t, c.to)
		patch := Diff(from, to)
		if !reflect.DeepEqual(patch, decode(t, c.patch)) {
			got, _ := json.Marshal(patch)
			t.Errorf("Diff(%s, %s) = %s, want %s", c.from, c.to, got, c.patch)
		}
		if got := ApplyPatch(from, patch); !reflect.DeepEqual(got, to) {
			t.Errorf("apply(%s, diff) = %v, want %v", c.from, got, to)
		}
		if !reflect.DeepEqual(from, decode(t, c.from)) {
			t.Errorf("Diff or ApplyPatch modified %s", c.from)
		}
	}
}
