package projections

import (
	"bytes"
	"unicode/utf8"
)

// The scanner below lets the metrics code (merge patches, trims) copy the
// parts of a JSON document it does not change instead of decoding and
// re-encoding them: it validates a value and reports whether encoding/json
// would give back the same bytes. Whatever it does not understand, it
// refuses (ok false), and its callers then take the encoding/json path,
// which reports errors as before.

// maxScanDepth bounds the nesting the scanner follows; deeper documents take
// the encoding/json path (which allows 10,000 levels).
const maxScanDepth = 1000

// form tells what encoding/json would make of a scanned value's bytes.
type form uint8

const (
	// compact: json.Compact with HTML escaping, which is what json.Marshal
	// does to a [json.RawMessage], returns the bytes unchanged — no
	// whitespace between tokens, and no <, >, &, U+2028 or U+2029 in
	// strings.
	compact form = 1 << iota
	// canonical: json.Marshal of the value decoded into an any (numbers as
	// [json.Number]) returns the bytes unchanged — compact, strings without
	// escapes and with valid UTF-8, object keys in strictly ascending byte
	// order.
	canonical
)

// member is one member of a scanned object.
type member struct {
	// key is the key's text between the quotes; it is the decoded key when
	// plain is set.
	key []byte
	// plain is set when the key has no escapes, valid UTF-8 and nothing
	// json.Marshal would escape, so that its text is also its encoding.
	plain bool
	// value is the member's value, without surrounding whitespace.
	value []byte
	// form is what encoding/json would make of value.
	form form
}

// scanMembers appends to ms the members of doc, which must hold one JSON
// object and nothing else but whitespace, in document order. Callers pass a
// small array of their own, which covers most objects without allocating.
func scanMembers(doc []byte, ms []member) ([]member, bool) {
	i := skipSpace(doc, 0)
	if i == len(doc) || doc[i] != '{' {
		return nil, false
	}
	end, _, ms, ok := scanObject(doc, i, 1, ms, true)
	if !ok || skipSpace(doc, end) != len(doc) {
		return nil, false
	}
	return ms, true
}

// scanValue scans the value that starts at b[i] and returns the offset just
// past it.
func scanValue(b []byte, i, depth int) (end int, f form, ok bool) {
	if i >= len(b) {
		return 0, 0, false
	}
	switch c := b[i]; {
	case c == '{':
		end, f, _, ok := scanObject(b, i, depth+1, nil, false)
		return end, f, ok
	case c == '[':
		return scanArray(b, i, depth+1)
	case c == '"':
		end, plain, isCompact, ok := scanString(b, i)
		return end, plainForm(plain, isCompact), ok
	case c == '-' || '0' <= c && c <= '9':
		end, ok := scanNumber(b, i)
		return end, compact | canonical, ok
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	}
	return 0, 0, false
}

// plainForm is the form of a string: canonical when plain, else compact when
// it has nothing json.Compact escapes.
func plainForm(plain, isCompact bool) form {
	switch {
	case plain:
		return compact | canonical
	case isCompact:
		return compact
	}
	return 0
}

func scanLiteral(b []byte, i int, lit string) (int, form, bool) {
	if !bytes.HasPrefix(b[i:], []byte(lit)) {
		return 0, 0, false
	}
	return i + len(lit), compact | canonical, true
}

// scanObject scans the object at b[i] ('{'), appending its members to ms
// when collect is set.
func scanObject(b []byte, i, depth int, ms []member, collect bool) (end int, f form, _ []member, ok bool) {
	if depth > maxScanDepth {
		return 0, 0, nil, false
	}
	f = compact | canonical
	j := skipSpace(b, i+1)
	if j != i+1 {
		f = 0
	}
	if j < len(b) && b[j] == '}' {
		return j + 1, f, ms, true
	}
	var prev []byte
	for {
		if j >= len(b) || b[j] != '"' {
			return 0, 0, nil, false
		}
		kend, plain, kcompact, ok := scanString(b, j)
		if !ok {
			return 0, 0, nil, false
		}
		key := b[j+1 : kend-1]
		if !kcompact {
			f &^= compact | canonical
		}
		if !plain || (prev != nil && bytes.Compare(prev, key) >= 0) {
			f &^= canonical
		}
		prev = key
		k := skipSpace(b, kend)
		if k >= len(b) || b[k] != ':' {
			return 0, 0, nil, false
		}
		v := skipSpace(b, k+1)
		if k != kend || v != k+1 {
			f = 0
		}
		vend, vf, ok := scanValue(b, v, depth)
		if !ok {
			return 0, 0, nil, false
		}
		f &= vf
		if collect {
			ms = append(ms, member{key: key, plain: plain, value: b[v:vend], form: vf})
		}
		k = skipSpace(b, vend)
		if k != vend {
			f = 0
		}
		if k >= len(b) {
			return 0, 0, nil, false
		}
		switch b[k] {
		case '}':
			return k + 1, f, ms, true
		case ',':
			j = skipSpace(b, k+1)
			if j != k+1 {
				f = 0
			}
		default:
			return 0, 0, nil, false
		}
	}
}

// scanArray scans the array at b[i] ('[').
func scanArray(b []byte, i, depth int) (end int, f form, ok bool) {
	if depth > maxScanDepth {
		return 0, 0, false
	}
	f = compact | canonical
	j := skipSpace(b, i+1)
	if j != i+1 {
		f = 0
	}
	if j < len(b) && b[j] == ']' {
		return j + 1, f, true
	}
	for {
		vend, vf, ok := scanValue(b, j, depth)
		if !ok {
			return 0, 0, false
		}
		f &= vf
		k := skipSpace(b, vend)
		if k != vend {
			f = 0
		}
		if k >= len(b) {
			return 0, 0, false
		}
		switch b[k] {
		case ']':
			return k + 1, f, true
		case ',':
			j = skipSpace(b, k+1)
			if j != k+1 {
				f = 0
			}
		default:
			return 0, 0, false
		}
	}
}

// scanString scans the string literal at b[i] ('"'). plain reports that
// its text is its own encoding by json.Marshal (no escapes, valid UTF-8,
// nothing json.Marshal escapes); isCompact that json.Compact leaves it as
// it is.
func scanString(b []byte, i int) (end int, plain, isCompact, ok bool) {
	plain, isCompact = true, true
	for j := i + 1; j < len(b); {
		c := b[j]
		switch {
		case c == '"':
			return j + 1, plain, isCompact, true
		case c < 0x20:
			return 0, false, false, false
		case c == '\\':
			plain = false
			if j+1 >= len(b) {
				return 0, false, false, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || !isHex4(b[j+2:j+6]) {
					return 0, false, false, false
				}
				j += 6
			default:
				return 0, false, false, false
			}
		case c == '<' || c == '>' || c == '&':
			plain, isCompact = false, false
			j++
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(b[j:])
			switch {
			case r == utf8.RuneError && size == 1:
				plain = false // encoding/json decodes it to U+FFFD
			case r == '\u2028' || r == '\u2029':
				plain, isCompact = false, false
			}
			j += size
		}
	}
	return 0, false, false, false
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// scanNumber scans the number at b[i]: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (end int, ok bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && '1' <= b[j] && b[j] <= '9':
		j = skipDigits(b, j)
	default:
		return 0, false
	}
	if j < len(b) && b[j] == '.' {
		k := skipDigits(b, j+1)
		if k == j+1 {
			return 0, false
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := skipDigits(b, j)
		if k == j {
			return 0, false
		}
		j = k
	}
	return j, true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
