package jsonfast

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/worldval/worldval/internal/jsonfast/jsonfasttest"
)

// checkString compares AppendString with encoding/json's string encoding,
// with HTML escaping (json.Marshal) and without (an Encoder with
// SetEscapeHTML(false)).
func checkString(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendString(nil, s, true); !bytes.Equal(got, want) {
		t.Fatalf("%q escaped: %s, encoding/json %s", s, got, want)
	}
	if want, err = jsonfasttest.MarshalNoHTML(s); err != nil {
		t.Fatal(err)
	}
	if got := AppendString([]byte("x"), s, false); string(got) != "x"+string(want) {
		t.Fatalf("%q: %s, encoding/json x%s", s, got, want)
	}
}

func TestAppendStringIsEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", "<a href=\"x\">&amp;</a>", "\x00\x07\x1f\x7f", "\b\f\n\r\t\\/", "é漢字😀", "\u2028\u2029", "\xff", "a\xe2\x80", "\xed\xa0\x80",
		"<a href=\"x\">&amp;</a> \\ \x00\x1f\b\f\n\r\t é \u2028\u2029 \xff end",
	} {
		checkString(t, s)
	}
}

func TestAppendStringsIsEncodingJSON(t *testing.T) {
	for _, ss := range [][]string{nil, {}, {"a"}, {"<b>", "é\u2028", "\xff", ""}} {
		for _, escapeHTML := range []bool{true, false} {
			want, err := json.Marshal(ss)
			if !escapeHTML {
				want, err = jsonfasttest.MarshalNoHTML(ss)
			}
			if got := AppendStrings(nil, ss, escapeHTML); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%q (escapeHTML %v): %s, encoding/json %s (%v)", ss, escapeHTML, got, want, err)
			}
		}
	}
}
