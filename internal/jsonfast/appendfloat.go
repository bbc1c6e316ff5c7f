package jsonfast

import (
	"math"
	"strconv"
)

// AppendFloat appends f as encoding/json writes a float64 (ES6 number
// formatting: 'f' format, 'e' below 1e-6 and from 1e21, exponents without a
// leading zero); ok is false for NaN and ±Inf, which encoding/json refuses,
// and dst is then returned as it was.
func AppendFloat(dst []byte, f float64) (_ []byte, ok bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, false
	}
	if out, ok := appendShortDecimal(dst, f); ok {
		return out, true
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json does.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

// appendShortDecimal appends f when it is a decimal of at most eight digits
// after the point with 1e-6 ≤ |f| < 1e7 — a return as clients send it —
// and false otherwise. It writes what strconv.AppendFloat(f, 'f', -1, 64)
// writes, the shortest decimal that reads back as f, without its general
// search: m = round(f·10⁸) reads back as f when float64(m)/10⁸ == f (one
// correctly rounded division of exact values), and then the shortest such
// decimal is m without its trailing zeros, because in that range two
// decimals of at most eight places are further apart than f's rounding
// interval is wide, so no other decimal of as few digits reads back as f.
func appendShortDecimal(dst []byte, f float64) ([]byte, bool) {
	a := math.Abs(f)
	if !(a >= 1e-6 && a < 1e7) {
		return dst, false
	}
	const scale = 1e8
	m := math.Round(a * scale)
	if m/scale != a {
		return dst, false
	}
	u := uint64(m) // < 1e15: exact
	if f < 0 {
		dst = append(dst, '-')
	}
	dst = strconv.AppendUint(dst, u/1e8, 10)
	frac := u % 1e8
	if frac == 0 {
		return dst, true
	}
	// Eight digits with their leading zeros, then the trailing ones cut.
	var digits [8]byte
	for i := 7; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 8
	for digits[n-1] == '0' {
		n--
	}
	dst = append(dst, '.')
	return append(dst, digits[:n]...), true
}
