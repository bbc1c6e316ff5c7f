package rules

import (
	"math"
	"testing"
)

func TestPyFloat(t *testing.T) {
	cases := map[float64]string{
		0.08: "0.08", 2: "2.0", 50: "50.0", 1e-5: "1e-05", 1.5e-7: "1.5e-07", 1e16: "1e+16", 1.2345e20: "1.2345e+20",
		0.0001: "0.0001", 123456789012345.6: "123456789012345.6", -0.25: "-0.25", 300: "300.0", 0: "0.0",
		math.Copysign(0, -1): "-0.0", math.Inf(1): "inf", math.Inf(-1): "-inf", 1e100: "1e+100",
	}
	for f, want := range cases {
		if got := pyFloat(f); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", f, got, want)
		}
	}
	if pyFloat(math.NaN()) != "nan" {
		t.Errorf("nan")
	}
}

func TestExactMeanAndMedian(t *testing.T) {
	// 0.1 + 0.2 + 0.3 summed naively is 0.6000000000000001; the exact mean of
	// the three doubles rounds to 0.2.
	if got := exactMean([]float64{0.1, 0.2, 0.3}); got != 0.2 {
		t.Errorf("mean %v", got)
	}
	if got := exactMean([]float64{1e308, 1e308}); got != 1e308 {
		t.Errorf("no overflow: %v", got)
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("odd median %v", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("even median %v", got)
	}
}

func TestReasonList(t *testing.T) {
	var l reasonList
	if l.joined() != "" {
		t.Errorf("empty")
	}
	for _, r := range []string{"a", "b", "c", "d", "e", "f"} {
		l.add(r)
	}
	if got := l.joined(); got != "a, b, c, d, e, f" || l.at(5) != "f" {
		t.Errorf("joined %q", got)
	}
}
