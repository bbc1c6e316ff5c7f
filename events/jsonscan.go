package events

import (
	"unicode/utf8"
)

// The fast paths of this package — [Marshal] of the hottest payload types and
// [Registry.Decode] of them — check JSON with the small scanner below instead
// of encoding/json's state machine. It accepts a subset of what encoding/json
// accepts: valid JSON nested at most fastMaxDepth deep. A fast path therefore
// either produces exactly what encoding/json would, or declines, and then
// encoding/json does the work and reports its own errors.

// fastMaxDepth bounds the nesting of arrays and objects the scanner follows;
// deeper documents are left to encoding/json (whose limit is 10,000).
const fastMaxDepth = 256

// jsonScan checks one JSON text. spaced records whether it met whitespace
// outside strings, which compaction has to remove.
type jsonScan struct {
	b      []byte
	spaced bool
}

// isJSONSpace reports whether c is whitespace JSON allows between tokens.
func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// space returns the index of the first byte at or after i that is not JSON
// whitespace.
func (s *jsonScan) space(i int) int {
	j := i
	for j < len(s.b) && isJSONSpace(s.b[j]) {
		j++
	}
	if j > i {
		s.spaced = true
	}
	return j
}

// value checks the value starting at b[i] (no leading whitespace) and
// returns the index just past it; false when there is no valid value there,
// or one nested deeper than fastMaxDepth.
func (s *jsonScan) value(i, depth int) (int, bool) {
	if i >= len(s.b) {
		return i, false
	}
	switch c := s.b[i]; {
	case c == '"':
		return s.str(i)
	case c == '{':
		return s.object(i, depth+1)
	case c == '[':
		return s.array(i, depth+1)
	case c == '-' || c >= '0' && c <= '9':
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	}
	return i, false
}

// object checks the object opening at b[i].
func (s *jsonScan) object(i, depth int) (int, bool) {
	if depth > fastMaxDepth {
		return i, false
	}
	i = s.space(i + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(s.b) || s.b[i] != '"' {
			return i, false
		}
		var ok bool
		if i, ok = s.str(i); !ok {
			return i, false
		}
		if i = s.space(i); i >= len(s.b) || s.b[i] != ':' {
			return i, false
		}
		if i, ok = s.value(s.space(i+1), depth); !ok {
			return i, false
		}
		if i = s.space(i); i >= len(s.b) {
			return i, false
		}
		switch s.b[i] {
		case ',':
			i = s.space(i + 1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// array checks the array opening at b[i].
func (s *jsonScan) array(i, depth int) (int, bool) {
	if depth > fastMaxDepth {
		return i, false
	}
	i = s.space(i + 1)
	if i < len(s.b) && s.b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = s.value(i, depth); !ok {
			return i, false
		}
		if i = s.space(i); i >= len(s.b) {
			return i, false
		}
		switch s.b[i] {
		case ',':
			i = s.space(i + 1)
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// str checks the string opening at b[i]: no control characters, only the
// escapes JSON defines. Like encoding/json it does not require valid UTF-8.
func (s *jsonScan) str(i int) (int, bool) {
	b := s.b
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			i++
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return i, false
				}
				i += 4
			default:
				return i, false
			}
		}
	}
	return i, false
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// number checks the number starting at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScan) number(i int) (int, bool) {
	b := s.b
	if b[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return i, false
		}
	}
	return i, true
}

// literal checks that b[i:] starts with lit.
func (s *jsonScan) literal(i int, lit string) (int, bool) {
	if len(s.b)-i < len(lit) || string(s.b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// validValue reports whether b is exactly one JSON value the scanner follows,
// possibly surrounded by whitespace, and whether it holds whitespace outside
// its strings (including around it).
func validValue(b []byte) (ok, spaced bool) {
	s := jsonScan{b: b}
	end, ok := s.value(s.space(0), 0)
	if !ok || s.space(end) != len(b) {
		return false, false
	}
	return true, s.spaced
}

// appendCompact appends the JSON value src without insignificant whitespace,
// as encoding/json writes a json.RawMessage (or any Marshaler's output) when
// HTML escaping is off. It returns false, and dst unchanged, when src is not
// a value the scanner follows: the caller then leaves the encoding to
// encoding/json.
func appendCompact(dst, src []byte) ([]byte, bool) {
	ok, spaced := validValue(src)
	switch {
	case !ok:
		return dst, false
	case !spaced:
		return append(dst, src...), true
	}
	in := false // inside a string
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case in:
			if c == '\\' {
				dst = append(dst, c)
				i++
				c = src[i]
			} else if c == '"' {
				in = false
			}
		case isJSONSpace(c):
			continue
		case c == '"':
			in = true
		}
		dst = append(dst, c)
	}
	return dst, true
}

// plainString returns the content of the JSON string v (quotes included in
// v) when it needs no decoding: no escapes, no control characters, valid
// UTF-8 — what encoding/json would decode to the same bytes. ok is false for
// any other value.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	body := v[1 : len(v)-1]
	ascii := true
	for _, c := range body {
		switch {
		case c == '"' || c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}
