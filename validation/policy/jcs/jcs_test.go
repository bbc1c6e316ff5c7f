package jcs

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// The number vectors are RFC 8785 Appendix B (IEEE-754 bit patterns and the
// ECMAScript serialization they must produce).
func TestAppendNumberRFC8785AppendixB(t *testing.T) {
	cases := []struct{ bits, want string }{
		{"0000000000000000", "0"},
		{"8000000000000000", "0"},
		{"0000000000000001", "5e-324"},
		{"8000000000000001", "-5e-324"},
		{"7fefffffffffffff", "1.7976931348623157e+308"},
		{"ffefffffffffffff", "-1.7976931348623157e+308"},
		{"4340000000000000", "9007199254740992"},
		{"c340000000000000", "-9007199254740992"},
		{"4430000000000000", "295147905179352830000"},
		{"44b52d02c7e14af5", "9.999999999999997e+22"},
		{"44b52d02c7e14af6", "1e+23"},
		{"44b52d02c7e14af7", "1.0000000000000001e+23"},
		{"444b1ae4d6e2ef4e", "999999999999999700000"},
		{"444b1ae4d6e2ef4f", "999999999999999900000"},
		{"444b1ae4d6e2ef50", "1e+21"},
		{"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
		{"3eb0c6f7a0b5ed8d", "0.000001"},
		{"41b3de4355555553", "333333333.3333332"},
		{"41b3de4355555554", "333333333.33333325"},
		{"41b3de4355555555", "333333333.3333333"},
		{"41b3de4355555556", "333333333.3333334"},
		{"41b3de4355555557", "333333333.33333343"},
		{"becbf647612f3696", "-0.0000033333333333333333"},
		{"43143ff3c1cb0959", "1424953923781206.2"},
		{"0000000100000000", "2.121995791e-314"},
		{"1000000100000000", "1.2882309824710566e-231"},
		{"1000000100000001", "1.288230982471057e-231"},
		{"1000000100000005", "1.288230982471058e-231"},
	}
	for _, c := range cases {
		u, err := strconv.ParseUint(c.bits, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendNumber(nil, math.Float64frombits(u))
		if err != nil {
			t.Fatalf("%s: %v", c.bits, err)
		}
		if string(got) != c.want {
			t.Errorf("%s: got %s, want %s", c.bits, got, c.want)
		}
	}
}

func TestAppendNumberRejectsNonFinite(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendNumber(nil, f); !errors.Is(err, ErrNonFinite) {
			t.Errorf("%v: got %v, want ErrNonFinite", f, err)
		}
	}
}

func TestAppendNumberSmallValues(t *testing.T) {
	cases := map[float64]string{
		1: "1", 50: "50", 0.15: "0.15", 2.5: "2.5", -0.25: "-0.25", 1e21: "1e+21",
		1e20: "100000000000000000000", 1e-6: "0.000001", 1e-7: "1e-7", 123e-20: "1.23e-18",
	}
	a, b := 0.1, 0.2
	cases[a+b] = "0.30000000000000004"
	for text, want := range map[string]string{
		"18446744073709553000": "18446744073709552000", "18446744073709558000": "18446744073709560000",
		"-123e-35": "-1.23e-33", "123e+35": "1.23e+37", "1234567890.1234567890": "1234567890.1234567",
		"9.9999999999999999": "10", "8.8888888888888888": "8.88888888888889", "5.51443399744797e-309": "5.51443399744797e-309",
		"-996501487687274400": "-996501487687274400", "58032273484243780": "58032273484243780",
	} {
		f, _ := strconv.ParseFloat(text, 64)
		cases[f] = want
	}
	for f, want := range cases {
		got, err := AppendNumber(nil, f)
		if err != nil || string(got) != want {
			t.Errorf("%v: got %s (%v), want %s", f, got, err, want)
		}
	}
}

func decode(t *testing.T, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// RFC 8785 §3.2.2 example (also the reference implementation's values.json).
func TestEncodeRFC8785Values(t *testing.T) {
	in := `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`
	want := `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`
	got, err := Encode(decode(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// RFC 8785 §3.2.3 sorting example.
func TestEncodeRFC8785Sorting(t *testing.T) {
	in := `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`
	want := "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\"," +
		"\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"
	got, err := Encode(decode(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestEncodeNestedAndTypes(t *testing.T) {
	v := map[string]any{
		"b": []any{int64(3), 2, float32(0.5), uint64(7)},
		"a": map[string]any{"z": nil, "y": []string{"q"}, "x": map[string]string{"k": "v"}},
		"c": []float64{1.5},
	}
	got, err := Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":{"x":{"k":"v"},"y":["q"],"z":null},"b":[3,2,0.5,7],"c":[1.5]}`
	if string(got) != want {
		t.Errorf("got %s want %s", got, want)
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := Encode(map[string]any{"a": struct{}{}}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("struct: %v", err)
	}
	if _, err := Encode("\xff"); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("utf8: %v", err)
	}
	if _, err := Encode([]any{math.NaN()}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("nan: %v", err)
	}
	if _, err := Encode(json.Number("1e999")); err == nil {
		t.Errorf("1e999: want error")
	}
}

func TestAppendStringControl(t *testing.T) {
	got, _ := AppendString(nil, "\x00\x1f\b\t\n\f\r\"\\\u2028/")
	want := `"\u0000\u001f\b\t\n\f\r\"\\` + "\u2028" + `/"`
	if string(got) != want {
		t.Errorf("got %s want %s", got, want)
	}
}
