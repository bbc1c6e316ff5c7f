package rules

import (
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// pyFloat formats f the way Python's repr formats a float, so that reason
// texts read as QMTL's do ("0.08", "2.0", "1e-05", "1e+16").
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	s := strconv.FormatFloat(f, 'e', -1, 64)
	// Python switches to exponent notation below 1e-4 and from 1e16 on.
	if e := strings.IndexByte(s, 'e'); e >= 0 {
		if x, err := strconv.Atoi(s[e+1:]); err == nil {
			exp = x
		}
	}
	if exp < -4 || exp >= 16 {
		e := strings.IndexByte(s, 'e')
		mant, x := s[:e], s[e+1:]
		sign := x[0]
		x = strings.TrimLeft(x[1:], "0")
		if len(x) < 2 {
			x = strings.Repeat("0", 2-len(x)) + x
		}
		return mant + "e" + string(sign) + x
	}
	s = strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// exactMean returns the correctly rounded arithmetic mean of xs (as Python's
// statistics.mean does, with exact rational summation).
func exactMean(xs []float64) float64 {
	if len(xs) == 1 {
		return xs[0]
	}
	var sum, r big.Rat
	for _, x := range xs {
		sum.Add(&sum, r.SetFloat64(x))
	}
	sum.Quo(&sum, r.SetInt64(int64(len(xs))))
	f, _ := sum.Float64()
	return f
}

// median returns the median of xs (the mean of the two middle values for an
// even count, computed as (a+b)/2 like Python's statistics.median).
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// optional returns v as a JSON-ready value: the number, or nil when absent.
func optional(v float64, ok bool) any {
	if !ok {
		return nil
	}
	return v
}
