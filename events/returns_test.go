package events

import (
	"encoding/json"
	"fmt"
	"math"
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
		if got := jsonNumber([]byte(tok)); got != want {
			t.Errorf("jsonNumber(%q) = %v, want %v", tok, got, want)
		}
	}
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
