// Package jcs serializes JSON values in the canonical form of RFC 8785, the
// JSON Canonicalization Scheme: object members sorted by the UTF-16 code units
// of their names, no insignificant whitespace, strings escaped as ECMAScript's
// JSON.stringify escapes them, and numbers written as ECMAScript's
// Number.prototype.toString writes them.
//
// The package is pure and safe for concurrent use.
package jcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrNonFinite reports a NaN or infinite number, which I-JSON (and therefore
// RFC 8785) cannot represent.
var ErrNonFinite = errors.New("jcs: non-finite number")

// ErrInvalidUTF8 reports a string that is not valid UTF-8.
var ErrInvalidUTF8 = errors.New("jcs: invalid UTF-8 in string")

// ErrUnsupported reports a Go value that has no JSON representation here.
var ErrUnsupported = errors.New("jcs: unsupported value type")

// Encode returns the RFC 8785 canonical serialization of v.
//
// v must be built from nil, bool, string, float64, float32, the built-in
// integer types, json.Number, []any, []string, []float64, map[string]any and
// map[string]string, nested arbitrarily. Integers are serialized through their
// float64 value, exactly as ECMAScript would see them.
func Encode(v any) ([]byte, error) {
	return Append(nil, v)
}

// Append appends the canonical serialization of v to dst and returns the
// extended buffer. On error the returned buffer is nil.
func Append(dst []byte, v any) ([]byte, error) {
	out, err := appendValue(dst, v)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func appendValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		return AppendString(dst, x)
	case float64:
		return AppendNumber(dst, x)
	case float32:
		return AppendNumber(dst, float64(x))
	case int:
		return AppendNumber(dst, float64(x))
	case int64:
		return AppendNumber(dst, float64(x))
	case int32:
		return AppendNumber(dst, float64(x))
	case uint64:
		return AppendNumber(dst, float64(x))
	case uint:
		return AppendNumber(dst, float64(x))
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, fmt.Errorf("jcs: number %q: %w", string(x), err)
		}
		return AppendNumber(dst, f)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendValue(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case []string:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendString(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case []float64:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendNumber(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		return appendObject(dst, x)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return appendObject(dst, m)
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupported, v)
	}
}

func appendObject(dst []byte, m map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	SortKeys(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = AppendString(dst, k); err != nil {
			return nil, err
		}
		dst = append(dst, ':')
		if dst, err = appendValue(dst, m[k]); err != nil {
			return nil, fmt.Errorf("member %q: %w", k, err)
		}
	}
	return append(dst, '}'), nil
}

// SortKeys sorts property names in place the way RFC 8785 §3.2.3 requires:
// by their UTF-16 code units, compared as unsigned integers. For names made of
// characters below U+10000 this equals byte order; supplementary characters
// (surrogate pairs) sort before U+E000..U+FFFF.
func SortKeys(keys []string) {
	sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
}

func lessUTF16(a, b string) bool {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return utf16Key(ra) < utf16Key(rb)
		}
		a, b = a[na:], b[nb:]
	}
	return a == "" && b != ""
}

// utf16Key maps a rune to a value whose order equals the order of its first
// UTF-16 code unit, with ties between surrogate pairs broken by the rune.
func utf16Key(r rune) uint64 {
	if r >= 0x10000 {
		hi, lo := utf16.EncodeRune(r)
		return uint64(hi)<<16 | uint64(lo)
	}
	return uint64(r) << 16
}

// AppendString appends s as a JSON string literal escaped per RFC 8785
// §3.2.2.2: the two-character escapes \b \t \n \f \r \" \\, \u00xx (lower-case
// hex) for the other control characters, and every other character as its
// UTF-8 bytes.
func AppendString(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, ErrInvalidUTF8
	}
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), nil
}

// AppendNumber appends f serialized as ECMAScript's Number.prototype.toString
// serializes it (ECMA-262 Number::toString with radix 10): the shortest
// decimal that round-trips, in plain notation when the decimal exponent lies in
// [-6, 21) and in exponent notation ("1e+21", "5e-324") otherwise. Negative
// zero is written as 0. NaN and infinities yield [ErrNonFinite].
func AppendNumber(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, ErrNonFinite
	}
	if f == 0 {
		return append(dst, '0'), nil
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// Shortest round-trip digits in scientific form: d[.ddd]e±XX.
	var buf [32]byte
	sci := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	epos := 0
	for i, c := range sci {
		if c == 'e' {
			epos = i
			break
		}
	}
	mant := sci[:epos]
	exp, _ := strconv.Atoi(string(sci[epos+1:]))
	var digits [24]byte
	k := 0
	for _, c := range mant {
		if c != '.' {
			digits[k] = c
			k++
		}
	}
	ds := digits[:k]
	n := exp + 1 // position of the decimal point relative to the digits
	switch {
	case k <= n && n <= 21:
		dst = append(dst, ds...)
		for i := k; i < n; i++ {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(dst, ds[:n]...)
		dst = append(dst, '.')
		dst = append(dst, ds[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		for i := 0; i < -n; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, ds...)
	default:
		dst = append(dst, ds[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, ds[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		} else {
			dst = append(dst, '-')
		}
		e := n - 1
		if e < 0 {
			e = -e
		}
		dst = strconv.AppendInt(dst, int64(e), 10)
	}
	return dst, nil
}
