package risksnapshot

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
)

// This file writes JSON byte for byte as Python's
// json.dumps(obj, sort_keys=True, separators=(",", ":")) does with its
// default ensure_ascii=True (risk-hub spec §2.11, D1). encoding/json cannot
// be used: it escapes HTML characters, writes 1.0 as 1 and leaves non-ASCII
// text unescaped.

const hexDigits = "0123456789abcdef"

// writePyString writes s as a JSON string with Python's ensure_ascii
// escaping: the short escapes for quote, backslash, \n, \r, \t, \b and \f;
// every other code point below 0x20 and from 0x7f up as \u and four
// lowercase hex digits, code points above U+FFFF as a surrogate pair. s must
// be valid UTF-8.
func writePyString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			buf.WriteString(`\"`)
		case r == '\\':
			buf.WriteString(`\\`)
		case r == '\n':
			buf.WriteString(`\n`)
		case r == '\r':
			buf.WriteString(`\r`)
		case r == '\t':
			buf.WriteString(`\t`)
		case r == '\b':
			buf.WriteString(`\b`)
		case r == '\f':
			buf.WriteString(`\f`)
		case r >= 0x20 && r < 0x7f:
			buf.WriteByte(byte(r))
		case r > 0xffff:
			r -= 0x10000
			writeU4(buf, 0xd800+(r>>10))
			writeU4(buf, 0xdc00+(r&0x3ff))
		default:
			writeU4(buf, r)
		}
	}
	buf.WriteByte('"')
}

func writeU4(buf *bytes.Buffer, r rune) {
	buf.WriteString(`\u`)
	buf.WriteByte(hexDigits[r>>12&0xf])
	buf.WriteByte(hexDigits[r>>8&0xf])
	buf.WriteByte(hexDigits[r>>4&0xf])
	buf.WriteByte(hexDigits[r&0xf])
}

// writePyFloat writes a finite f as Python's repr(float) does: the shortest
// digit string that reads back as f; with decimal exponent e (f = d.ddd ×
// 10^e) in fixed notation with at least one fractional digit when
// -4 <= e < 16, else in scientific notation with an explicit sign and at
// least two exponent digits. Negative zero is -0.0.
func writePyFloat(buf *bytes.Buffer, f float64) {
	if f == 0 {
		if math.Signbit(f) {
			buf.WriteString("-0.0")
		} else {
			buf.WriteString("0.0")
		}
		return
	}
	// 'e' with precision -1 gives the shortest round-trip digits:
	// "-d.ddde±XX".
	var raw [32]byte
	b := strconv.AppendFloat(raw[:0], f, 'e', -1, 64)
	if b[0] == '-' {
		buf.WriteByte('-')
		b = b[1:]
	}
	e := bytes.IndexByte(b, 'e')
	exp := 0
	for _, c := range b[e+2:] {
		exp = exp*10 + int(c-'0')
	}
	if b[e+1] == '-' {
		exp = -exp
	}
	var dg [24]byte
	digits := append(dg[:0], b[0])
	if e > 1 {
		digits = append(digits, b[2:e]...) // skip the '.'
	}
	if -4 <= exp && exp < 16 {
		switch {
		case exp < 0:
			buf.WriteString("0.")
			for range -exp - 1 {
				buf.WriteByte('0')
			}
			buf.Write(digits)
		case len(digits) <= exp+1:
			buf.Write(digits)
			for range exp + 1 - len(digits) {
				buf.WriteByte('0')
			}
			buf.WriteString(".0")
		default:
			buf.Write(digits[:exp+1])
			buf.WriteByte('.')
			buf.Write(digits[exp+1:])
		}
		return
	}
	buf.WriteByte(digits[0])
	if len(digits) > 1 {
		buf.WriteByte('.')
		buf.Write(digits[1:])
	}
	buf.WriteByte('e')
	if exp < 0 {
		buf.WriteByte('-')
		exp = -exp
	} else {
		buf.WriteByte('+')
	}
	if exp < 10 {
		buf.WriteByte('0')
	}
	buf.Write(strconv.AppendInt(raw[:0], int64(exp), 10))
}

// writePyFree writes a free-form value (stress, constraints, provenance) in
// canonical form: objects with sorted keys, an integer literal as a decimal
// integer ("-0" becomes "0"), any other number as a binary64 in repr style.
// The value must have passed [checkFree].
func writePyFree(buf *bytes.Buffer, v *value) {
	switch v.kind {
	case kindNull:
		buf.WriteString("null")
	case kindBool:
		if v.b {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case kindString:
		writePyString(buf, v.s)
	case kindNumber:
		if v.isIntegerLiteral() {
			if v.s == "-0" {
				buf.WriteByte('0')
			} else {
				buf.WriteString(v.s)
			}
			return
		}
		f, _ := v.float()
		writePyFloat(buf, f)
	case kindArray:
		buf.WriteByte('[')
		for i := range v.arr {
			if i > 0 {
				buf.WriteByte(',')
			}
			writePyFree(buf, &v.arr[i])
		}
		buf.WriteByte(']')
	case kindObject:
		order := make([]int, len(v.obj))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(v.obj[a].name, v.obj[b].name) })
		buf.WriteByte('{')
		for i, j := range order {
			if i > 0 {
				buf.WriteByte(',')
			}
			writePyString(buf, v.obj[j].name)
			buf.WriteByte(':')
			writePyFree(buf, &v.obj[j].val)
		}
		buf.WriteByte('}')
	}
}

// checkFree reports whether every number inside v is finite (no NaN or
// Infinity token, no literal beyond the binary64 range) and every integer
// literal has at most maxIntDigits digits.
func checkFree(v *value) bool {
	switch v.kind {
	case kindNumber:
		if v.isIntegerLiteral() {
			return len(strings.TrimPrefix(v.s, "-")) <= maxIntDigits
		}
		_, ok := v.float()
		return ok
	case kindArray:
		for i := range v.arr {
			if !checkFree(&v.arr[i]) {
				return false
			}
		}
	case kindObject:
		for i := range v.obj {
			if !checkFree(&v.obj[i].val) {
				return false
			}
		}
	}
	return true
}

// writePyFloatMap writes a map of floats as an object with sorted keys.
func writePyFloatMap(buf *bytes.Buffer, m map[string]float64) {
	keys := sortedKeys(m)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writePyString(buf, k)
		buf.WriteByte(':')
		writePyFloat(buf, m[k])
	}
	buf.WriteByte('}')
}

// writePyFloats writes a float series as an array.
func writePyFloats(buf *bytes.Buffer, xs []float64) {
	buf.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			buf.WriteByte(',')
		}
		writePyFloat(buf, x)
	}
	buf.WriteByte(']')
}

// sortedKeys returns the keys of m in byte order, which for valid UTF-8 is
// code-point order, Python's order for str keys.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
