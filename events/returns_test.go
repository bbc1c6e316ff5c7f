package events

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// decodeBoth decodes doc as a ReturnSeries and as encoding/json's
// []*float64, through a struct field as the registry does.
func decodeBoth(doc []byte) (fast ReturnSeries, fastErr error, slow []*float64, slowErr error) {
	var f struct {
		R ReturnSeries `json:"r"`
	}
	var s struct {
		R []*float64 `json:"r"`
	}
	wrap := append(append([]byte(`{"r":`), doc...), '}')
	fastErr = json.Unmarshal(wrap, &f)
	slowErr = json.Unmarshal(wrap, &s)
	return f.R, fastErr, s.R, slowErr
}

// sameSeries compares two decoded series value by value, nulls included.
func sameSeries(a ReturnSeries, b []*float64) error {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return fmt.Errorf("lengths %d (nil %v) and %d (nil %v)", len(a), a == nil, len(b), b == nil)
	}
	for i := range a {
		switch {
		case (a[i] == nil) != (b[i] == nil):
			return fmt.Errorf("element %d: null in one only", i)
		case a[i] != nil && math.Float64bits(*a[i]) != math.Float64bits(*b[i]):
			return fmt.Errorf("element %d: %v and %v", i, *a[i], *b[i])
		}
	}
	return nil
}

func TestReturnSeriesDecodesLikeAPointerSlice(t *testing.T) {
	many := make([]string, 252)
	for i := range many {
		many[i] = fmt.Sprintf("%.6g", math.Sin(float64(i))/100)
	}
	cases := []string{
		`null`, `[]`, `[ ]`, `[0.01]`, `[0.01, null, -0.02]`, `[-0, 0, 1e-3, 2E+2, -1.5e-7]`,
		`[ 1 ,null , 2 ]`, "[\n1,\t2\r]", "[" + strings.Join(many, ",") + "]",
		// left to encoding/json, which must report the same errors
		`["0.1"]`, `[[1]]`, `[{"a":1}]`, `[true]`, `[1e400]`, `{}`, `"x"`, `7`,
	}
	for _, doc := range cases {
		fast, fastErr, slow, slowErr := decodeBoth([]byte(doc))
		if (fastErr == nil) != (slowErr == nil) {
			t.Errorf("%s: ReturnSeries error %v, []*float64 error %v", doc, fastErr, slowErr)
			continue
		}
		if fastErr != nil {
			continue
		}
		if err := sameSeries(fast, slow); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

func TestReturnSeriesEncodesAsBefore(t *testing.T) {
	a, b := 0.01, -0.5
	got, err := json.Marshal(ReturnSeries{&a, nil, &b})
	if err != nil || string(got) != `[0.01,null,-0.5]` {
		t.Fatalf("Marshal = %s, %v", got, err)
	}
}

func TestReturnSeriesAppendJSONIsEncodingJSON(t *testing.T) {
	a, b, c, d := 0.01, -0.5, 1e-7, 1e21
	nan, inf := math.NaN(), math.Inf(-1)
	for _, r := range []ReturnSeries{nil, {}, {&a, nil, &b, &c, &d}, {nil}, {&a, &nan}, {&inf}} {
		want, wantErr := json.Marshal([]*float64(r))
		got, err := r.AppendJSON([]byte("x"))
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || err == nil && string(got) != "x"+string(want) {
			t.Errorf("%v: AppendJSON %s (%v), encoding/json %s (%v)", r, got, err, want, wantErr)
		}
	}
}

func TestJSONNumberGrammar(t *testing.T) {
	for tok, want := range map[string]bool{
		"0": true, "-0": true, "1.5": true, "10": true, "1e5": true, "1E-5": true, "-2.5e+3": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "1e": false, "+1": false, "1e+": false, "--1": false, "0x1": false, "1.5.": false,
	} {
		_, end, ok := parseNumber([]byte(tok), 0)
		if got := ok && end == len(tok); got != want {
			t.Errorf("parseNumber(%q) reads %d bytes (ok %v), want a whole number %v", tok, end, ok, want)
		}
	}
}

// checkParseNumber compares parseNumber with strconv.ParseFloat on a token
// in JSON's number grammar: both accept it, with the same bits.
func checkParseNumber(t *testing.T, tok string) {
	t.Helper()
	got, end, ok := parseNumber([]byte(tok), 0)
	want, err := strconv.ParseFloat(tok, 64)
	if ok != (err == nil) || ok && end != len(tok) || ok && math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("%q: parseNumber %v (ok %v, %d bytes), ParseFloat %v (%v)", tok, got, ok, end, want, err)
	}
}

func TestParseNumberIsParseFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 13))
	for _, tok := range []string{
		"0", "-0", "0.0", "-0.000", "1", "-1", "0.1", "0.3", "0.007145", "-0.016642", "123456.789", "9007199254740991", "9007199254740992",
		"9007199254740993", "4503599627370497.5", "0.1000000000000000055511151231257827", "1.00000000000000011102230246251565404",
		"0.0000000000000000000001", "0.00000000000000000000001", "1e-7", "1E+22", "2.5e-324", "1e400", "-1e400", "123456789012345678901234567890",
	} {
		checkParseNumber(t, tok)
	}
	for range 20000 {
		digits := 1 + rng.IntN(18)
		tok := strconv.FormatUint(rng.Uint64()%uint64(math.Pow10(digits)), 10)
		if p := rng.IntN(len(tok) + 1); p < len(tok) {
			tok = tok[:p] + "." + tok[p:]
			if p == 0 {
				tok = "0" + tok
			}
		}
		if rng.IntN(2) == 0 {
			tok = "-" + tok
		}
		checkParseNumber(t, tok)
		checkParseNumber(t, strconv.FormatFloat(rng.NormFloat64()/100, 'f', rng.IntN(20), 64))
	}
}

// FuzzParseNumber: on a number in JSON's grammar, parseNumber returns what
// strconv.ParseFloat returns, bit for bit.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"-0.007145", "9007199254740993", "0.1000000000000000055511151231257827", "1e-7", "0.00000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if _, end, ok := parseNumber([]byte(tok), 0); !ok || end != len(tok) {
			return // not a whole JSON number: the caller declines it
		}
		checkParseNumber(t, tok)
	})
}

// FuzzReturnSeries: whatever the document, ReturnSeries and []*float64
// agree on whether it decodes and on every value.
func FuzzReturnSeries(f *testing.F) {
	for _, s := range []string{`[0.01,null,-0.02]`, `[]`, `null`, `[1e400]`, `["1"]`, `[01]`, `[1,,2]`, `[-]`, `[1.]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		fast, fastErr, slow, slowErr := decodeBoth(doc)
		if (fastErr == nil) != (slowErr == nil) {
			t.Fatalf("%q: ReturnSeries error %v, []*float64 error %v", doc, fastErr, slowErr)
		}
		if fastErr == nil {
			if err := sameSeries(fast, slow); err != nil {
				t.Fatalf("%q: %v", doc, err)
			}
		}
		// Called directly, on bytes no decoder has checked, it must not
		// accept what encoding/json refuses.
		var direct ReturnSeries
		var want []*float64
		if (direct.UnmarshalJSON(doc) == nil) && json.Unmarshal(doc, &want) != nil {
			t.Fatalf("%q: UnmarshalJSON accepted what encoding/json refuses", doc)
		}
	})
}

func BenchmarkDecodeReturnSeries(b *testing.B) {
	vals := make([]string, 252)
	for i := range vals {
		vals[i] = fmt.Sprintf("%.17g", math.Sin(float64(i))/100)
	}
	doc := []byte(`{"r":[` + strings.Join(vals, ",") + `]}`)
	b.Run("ReturnSeries", func(b *testing.B) {
		for b.Loop() {
			var v struct {
				R ReturnSeries `json:"r"`
			}
			if err := json.Unmarshal(doc, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pointer-slice", func(b *testing.B) {
		for b.Loop() {
			var v struct {
				R []*float64 `json:"r"`
			}
			if err := json.Unmarshal(doc, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
