package risksnapshot

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"
)

// TestPyFloatAgainstPython compares writePyFloat with Python's repr on the
// values of testdata/float_repr.json (testdata/gen_float_repr.py: special
// values, random bit patterns, random magnitudes, large integers).
func TestPyFloatAgainstPython(t *testing.T) {
	raw, err := os.ReadFile("testdata/float_repr.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Bits string `json:"bits"`
		Repr string `json:"repr"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 2500 {
		t.Fatalf("%d cases", len(cases))
	}
	var buf bytes.Buffer
	for _, c := range cases {
		bits, err := strconv.ParseUint(c.Bits, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		writePyFloat(&buf, math.Float64frombits(bits))
		if buf.String() != c.Repr {
			t.Errorf("%s: %s, Python says %s", c.Bits, buf.String(), c.Repr)
		}
	}
}

// TestPyStringEscapes checks ensure_ascii escaping against Python's
// json.dumps output for a few strings (computed with Python 3.11).
func TestPyStringEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"plain":              `"plain"`,
		"a\"b\\c/d":          `"a\"b\\c/d"`,
		"\n\r\t\b\f":         `"\n\r\t\b\f"`,
		"\x00\x1f\x7f":       `"\u0000\u001f\u007f"`,
		"é€😀":                `"\u00e9\u20ac\ud83d\ude00"`,
		"</script>&'":        `"</script>&'"`,
		"\u2028\u2029\uffff": `"\u2028\u2029\uffff"`,
	} {
		var buf bytes.Buffer
		writePyString(&buf, in)
		if buf.String() != want {
			t.Errorf("%q: %s, want %s", in, buf.String(), want)
		}
	}
}
