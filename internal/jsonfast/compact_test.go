package jsonfast

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/worldval/worldval/internal/jsonfast/jsonfasttest"
)

// checkCompact compares AppendCompact with json.Compact: when it does not
// decline, json.Compact succeeds with the same bytes; when json.Compact
// fails, it declines; it declines what json.Compact accepts only when it
// nests deeper than MaxDepth.
func checkCompact(t *testing.T, src []byte) {
	t.Helper()
	var want bytes.Buffer
	err := json.Compact(&want, src)
	got, ok := AppendCompact([]byte("prefix"), src)
	switch {
	case ok && err != nil:
		t.Fatalf("%q: AppendCompact accepted, json.Compact: %v", src, err)
	case ok && string(got) != "prefix"+want.String():
		t.Fatalf("%q: AppendCompact %q, json.Compact %q", src, got, want.String())
	case !ok && string(got) != "prefix":
		t.Fatalf("%q: a declining AppendCompact wrote %q", src, got)
	case !ok && err == nil && nesting(t, src) <= MaxDepth:
		t.Fatalf("%q: AppendCompact declined what json.Compact accepts", src)
	}
}

func TestAppendCompactIsJSONCompact(t *testing.T) {
	for _, src := range scanSeeds() {
		checkCompact(t, []byte(src))
	}
}

func TestAppendRawIsEncodingJSON(t *testing.T) {
	for _, m := range []json.RawMessage{nil, {}, json.RawMessage(`null`), json.RawMessage(" {\"a\" : [1, \"<\u2028>\"]} "), json.RawMessage(`{`)} {
		want, err := jsonfasttest.MarshalNoHTML(m)
		got, ok := AppendRaw(nil, m)
		if ok != (err == nil) || ok && !bytes.Equal(got, want) {
			t.Errorf("%q: AppendRaw %s (%v), encoding/json %s (%v)", m, got, ok, want, err)
		}
	}
}
