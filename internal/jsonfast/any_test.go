package jsonfast

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/worldval/worldval/internal/jsonfast/jsonfasttest"
)

// checkAny compares AppendAny with an Encoder with SetEscapeHTML(false):
// when it does not decline, both succeed with the same bytes; when
// encoding/json fails, it declines.
func checkAny(t *testing.T, v any) {
	t.Helper()
	want, err := jsonfasttest.MarshalNoHTML(v)
	got, ok := AppendAny([]byte("x"), v)
	switch {
	case ok && err != nil:
		t.Fatalf("%#v: AppendAny wrote %s, encoding/json fails: %v", v, got, err)
	case ok && string(got) != "x"+string(want):
		t.Fatalf("%#v:\nAppendAny     %s\nencoding/json x%s", v, got, want)
	}
}

func TestAppendAnyIsEncodingJSON(t *testing.T) {
	odd := "a<b>&c \"q\" \\ \x00\x01\x1f\b\f\n\r\t é \u2028\u2029 \xff\xfe end"
	for _, v := range []any{
		nil, "s", odd, 1.5, true, 7, int64(-7), []any{}, []any(nil), []string(nil), []float64{}, json.RawMessage(nil),
		map[string]any{},
		map[string]any(nil),
		map[string]any{"z": 1.0, "a": map[string]any{"é": []any{nil, true, false, "x<y", 1e-7, math.Copysign(0, -1), 3.0}}, odd: int64(-7), "n": 42,
			"s": []string{"a"}, "f": []float64{0.5, 1e22}, "raw": json.RawMessage(` {"k" : 1} `), "nil": []any(nil), "m": map[string]any(nil),
			"ss": []string(nil), "fs": []float64(nil), "rn": json.RawMessage(nil)},
	} {
		checkAny(t, v)
		if _, ok := AppendAny(nil, v); !ok {
			t.Errorf("%#v: AppendAny declined", v)
		}
	}
	// Declined: types outside the fast path, and values encoding/json
	// refuses.
	for _, v := range []any{
		struct{ A int }{1}, map[string]any{"t": struct{ A int }{1}}, map[string]any{"nan": math.NaN()},
		map[string]any{"fs": []float64{math.Inf(1)}}, map[string]any{"raw": json.RawMessage(`{`)}, []any{float32(1)},
	} {
		checkAny(t, v)
		if _, ok := AppendAny(nil, v); ok {
			t.Errorf("%#v: AppendAny accepted", v)
		}
	}
}

func TestAppendAnyDeclinesDeepDocuments(t *testing.T) {
	doc := map[string]any{}
	for range 2 * MaxDepth {
		doc = map[string]any{"a": doc}
	}
	if _, ok := AppendAny(nil, doc); ok {
		t.Fatal("AppendAny followed a document deeper than MaxDepth")
	}
	shallow := any(1.0)
	for range MaxDepth {
		shallow = []any{shallow}
	}
	want, err := jsonfasttest.MarshalNoHTML(shallow)
	if got, ok := AppendAny(nil, shallow); !ok || err != nil || !bytes.Equal(got, want) {
		t.Fatalf("a document MaxDepth deep: %v, %v", ok, err)
	}
}
