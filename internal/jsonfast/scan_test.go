package jsonfast

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/worldval/worldval/internal/jsonfast/jsonfasttest"
)

// nesting returns how deep the arrays and objects of a valid JSON text nest.
func nesting(t *testing.T, doc []byte) int {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	depth, most := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return most
		}
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
			most = max(most, depth)
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
}

// checkScan compares the scanner with encoding/json on doc as a whole text:
// it accepts doc, possibly surrounded by whitespace, exactly when
// json.Valid does, unless doc nests deeper than maxDepth, and what it says
// of the value's form holds (see checkForm).
func checkScan(t *testing.T, doc []byte, maxDepth int) {
	t.Helper()
	start := SkipSpace(doc, 0)
	end, f, ok := Value(doc, start, maxDepth)
	ok = ok && SkipSpace(doc, end) == len(doc)
	valid := json.Valid(doc)
	switch {
	case ok && !valid:
		t.Fatalf("%q: the scanner accepts invalid JSON", doc)
	case !ok && valid && nesting(t, doc) <= maxDepth:
		t.Fatalf("%q: the scanner declines valid JSON nested %d deep (bound %d)", doc, nesting(t, doc), maxDepth)
	case ok:
		checkForm(t, doc[start:end], f)
	}
}

// checkForm checks what f says of the valid value v against encoding/json:
// Compact is exactly whether encoding/json writes v as a json.RawMessage
// unchanged, with and without HTML escaping; a Canonical value is what
// json.Marshal makes of its decoding (numbers as json.Number); a string is
// Plain exactly when it decodes to the text between its quotes.
func checkForm(t *testing.T, v []byte, f Form) {
	t.Helper()
	if b, err := json.Marshal(json.RawMessage(v)); err != nil || bytes.Equal(b, v) != f.Compact(true) {
		t.Fatalf("%q (form %05b): json.Marshal as a RawMessage writes %q (%v)", v, f, b, err)
	}
	if b, err := jsonfasttest.MarshalNoHTML(json.RawMessage(v)); err != nil || bytes.Equal(b, v) != f.Compact(false) {
		t.Fatalf("%q (form %05b): an Encoder without HTML escaping writes %q (%v)", v, f, b, err)
	}
	if f.Canonical() {
		d, err := decodeNumbers(v)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := json.Marshal(d); err != nil || !bytes.Equal(b, v) {
			t.Fatalf("canonical %q encodes to %q, %v", v, b, err)
		}
	}
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			t.Fatal(err)
		}
		if plain := s == string(v[1:len(v)-1]); plain != f.Plain() {
			t.Fatalf("string %q decodes to %q, but Plain is %v", v, s, f.Plain())
		}
		if got, ok := PlainString(v); ok != f.Plain() || ok && got != s {
			t.Fatalf("PlainString(%q) = %q, %v; decodes to %q", v, got, ok, s)
		}
	}
}

func TestScanIsEncodingJSON(t *testing.T) {
	for _, doc := range scanSeeds() {
		for _, maxDepth := range []int{1, MaxDepth, 1000} {
			checkScan(t, []byte(doc), maxDepth)
		}
	}
}

func TestScanDepth(t *testing.T) {
	for _, c := range []struct {
		doc      string
		maxDepth int
		ok       bool
	}{
		{`1`, 0, true}, {`[]`, 0, false}, {`[]`, 1, true}, {`[[]]`, 1, false}, {`{"a":[]}`, 1, false}, {`{"a":[]}`, 2, true},
		{deep(MaxDepth, false), MaxDepth, true}, {deep(MaxDepth+1, false), MaxDepth, false},
		{deep(1000, false), 1000, true}, {deep(1001, false), 1000, false},
	} {
		if _, _, ok := Value([]byte(c.doc), 0, c.maxDepth); ok != c.ok {
			t.Errorf("Value(%.20q…, bound %d) ok %v, want %v", c.doc, c.maxDepth, ok, c.ok)
		}
	}
}

func TestNumberIsJSONGrammar(t *testing.T) {
	for _, n := range []string{"0", "-0", "1", "-12", "0.5", "-0.5e+10", "1E7", "1e-07", "123456789012345678901234567890", "01", "1.", ".5", "-", "1e", "1e+", "+1", "--1", "0x1", "", "1.5.5"} {
		end, ok := Number([]byte(n), 0)
		whole := ok && end == len(n)
		var x json.Number
		valid := json.Unmarshal([]byte(n), &x) == nil
		if whole != valid {
			t.Errorf("Number(%q) = %d, %v; encoding/json valid %v", n, end, ok, valid)
		}
	}
	if end, ok := Number([]byte("12,"), 0); !ok || end != 2 {
		t.Errorf("Number stops at %d, %v", end, ok)
	}
}

// FuzzScanForms checks the scanner's claims directly: what it accepts is
// valid JSON, what it declines is invalid or nested too deep, and what it
// says of a value's form is what encoding/json does with it.
func FuzzScanForms(f *testing.F) {
	for _, s := range scanSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkScan(t, doc, MaxDepth)
		if end, form, ok := Value(doc, 0, 1000); ok {
			checkForm(t, doc[:end], form)
		}
	})
}
