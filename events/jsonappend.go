package events

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The appenders below write JSON exactly as encoding/json's Encoder does with
// SetEscapeHTML(false), the form [Marshal] stores, for the values of the
// fast paths; a value they do not know makes them decline (ok false), and
// the caller encodes through encoding/json instead.

// appendString appends s as a JSON string: '"' and '\\' escaped, control
// characters as \b, \f, \n, \r, \t or \u00XX, invalid UTF-8 as \ufffd,
// U+2028 and U+2029 as escapes, everything else (HTML characters included)
// as is.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendFloat appends f as encoding/json writes a float64 (ES6 number
// formatting); false for NaN and ±Inf, which JSON cannot hold.
func appendFloat(dst []byte, f float64) ([]byte, bool) {
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

// appendReturns appends a return series as encoding/json writes a
// []*float64: null for a missing period.
func appendReturns(dst []byte, r ReturnSeries) ([]byte, bool) {
	if r == nil {
		return append(dst, "null"...), true
	}
	dst = append(dst, '[')
	for i, p := range r {
		if i > 0 {
			dst = append(dst, ',')
		}
		if p == nil {
			dst = append(dst, "null"...)
			continue
		}
		var ok bool
		if dst, ok = appendFloat(dst, *p); !ok {
			return dst, false
		}
	}
	return append(dst, ']'), true
}

// appendStrings appends a []string: null when nil.
func appendStrings(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

// appendRaw appends a json.RawMessage as encoding/json writes one: null
// when nil, else compacted; false when it is not valid JSON (encoding/json
// then reports the error).
func appendRaw(dst []byte, m json.RawMessage) ([]byte, bool) {
	if m == nil {
		return append(dst, "null"...), true
	}
	return appendCompact(dst, m)
}

// appendAny appends a decoded JSON document — the values encoding/json
// decodes into an any (map[string]any, []any, string, float64, bool, nil),
// plus the ints, []string, []float64 and json.RawMessage documents built in
// code hold — as encoding/json writes it: map keys in byte order. It
// declines (false) for any other type, and below fastMaxDepth levels, where
// encoding/json detects cycles.
func appendAny(dst []byte, v any, depth int) ([]byte, bool) {
	if depth > fastMaxDepth {
		return dst, false
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case string:
		return appendString(dst, x), true
	case float64:
		return appendFloat(dst, x)
	case bool:
		return strconv.AppendBool(dst, x), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case map[string]any:
		return appendMap(dst, x, depth)
	case []any:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendAny(dst, e, depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case []string:
		return appendStrings(dst, x), true
	case []float64:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, f := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendFloat(dst, f); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case json.RawMessage:
		return appendRaw(dst, x)
	}
	return dst, false
}

// appendMap appends a map[string]any with its keys in byte order.
func appendMap(dst []byte, m map[string]any, depth int) ([]byte, bool) {
	if m == nil {
		return append(dst, "null"...), true
	}
	var buf [32]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		var ok bool
		if dst, ok = appendAny(dst, m[k], depth+1); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}
