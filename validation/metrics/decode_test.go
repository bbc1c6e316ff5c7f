package metrics

import (
	"slices"
	"strings"
	"testing"
)

// TestDecodeReturns covers the accepted JSON and CSV forms.
func TestDecodeReturns(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []float64
		nulls    int
		format   string
	}{
		{"json", `[0.01, -0.02, 3e-3, 0]`, []float64{0.01, -0.02, 0.003, 0}, 0, FormatJSON},
		{"json nulls", " \n[null, 0.5, null]\n", []float64{0.5}, 2, FormatJSON},
		{"json integers", `[1, -2]`, []float64{1, -2}, 0, FormatJSON},
		{"csv", "0.01\n-0.02\n0.003\n", []float64{0.01, -0.02, 0.003}, 0, FormatCSV},
		{"csv header crlf", "returns\r\n0.01\r\n\r\n-0.02\r\n", []float64{0.01, -0.02}, 1, FormatCSV},
		{"csv quoted, blank cells", "\"ret\"\n\"0.5\"\n\"\"\n  \n1e-4", []float64{0.5, 1e-4}, 2, FormatCSV},
		{"csv bom no trailing newline", "\xef\xbb\xbf0.25\n-0.5", []float64{0.25, -0.5}, 0, FormatCSV},
	} {
		d, err := DecodeReturnsDetailed([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !slices.Equal(d.Values, c.want) || d.Nulls != c.nulls || d.Format != c.format {
			t.Errorf("%s: got %+v, want %v nulls %d %s", c.name, d, c.want, c.nulls, c.format)
		}
		if v, _ := DecodeReturns([]byte(c.in)); !slices.Equal(v, c.want) {
			t.Errorf("%s: DecodeReturns = %v", c.name, v)
		}
	}
}

// TestDecodeReturnsErrors checks that every rejection names the element.
func TestDecodeReturnsErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{``, "returns: empty input"},
		{" \n\t", "returns: empty input"},
		{`[]`, "returns: series has no values (0 nulls)"},
		{`[null, null]`, "returns: series has no values (2 nulls)"},
		{"header\n\n", "returns: series has no values (1 nulls)"},
		{`[0.1, 0.2, "abc"]`, `returns[2]: not a number: "abc"`},
		{`[0.1, "NaN"]`, `returns[1]: not a number: "NaN"`},
		{`[true]`, `returns[0]: not a number: true`},
		{`[0, [1]]`, `returns[1]: not a number: an array`},
		{`[0, {"a": 1}]`, `returns[1]: not a number: an object`},
		{`[1e400]`, `returns[0]: number out of range: "1e400"`},
		{`[0.1, NaN]`, `returns: invalid JSON at byte`},
		{`[0.1, 0.2`, `returns: invalid JSON: unexpected end of input`},
		{`[0.1] [0.2]`, `returns: unexpected data after the JSON array`},
		{`{"returns": [0.1]}`, `returns: expected a JSON array of numbers, got an object`},
		{"0.1\n0.2\nabc\n", `line 3: not a number: "abc"`},
		{"returns\n0.1\nNaN\n", `line 3: not a finite number: "NaN"`},
		{"0.1\n-Inf\n", `line 2: not a finite number: "-Inf"`},
		{"NaN\n0.1\n", `line 1: not a finite number: "NaN"`},
		{"0.1\n1e999\n", `line 2: number out of range: "1e999"`},
		{"0.1\n0x1p-2\n", `line 2: not a number: "0x1p-2"`},
		{"a,b\n0.1,0.2\n", `line 1: expected one column: "a,b"`},
		{"x\n0.1;0.2\n", `line 2: expected one column: "0.1;0.2"`},
	} {
		_, err := DecodeReturns([]byte(c.in))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("DecodeReturns(%q) error = %v, want prefix %q", c.in, err, c.want)
		}
	}
}
