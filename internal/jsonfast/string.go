package jsonfast

import "unicode/utf8"

// String scans the string literal that starts at b[i] ('"') and returns the
// index just past its closing quote and its [Form] (Escaped, BadUTF8 and
// HTML are the bits a string can have). ok is false when the literal is
// not closed, holds a control character or an escape JSON does not define.
// Like encoding/json it does not require valid UTF-8.
func String(b []byte, i int) (end int, f Form, ok bool) {
	j := i + 1
	for {
		for j < len(b) && stringStop[b[j]] == 0 {
			j++
		}
		if j >= len(b) {
			return 0, 0, false
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1, f, true
		case c < 0x20:
			return 0, 0, false
		case c == '\\':
			f |= Escaped
			if j+1 >= len(b) {
				return 0, 0, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return 0, 0, false
				}
				j += 6
			default:
				return 0, 0, false
			}
		case c < utf8.RuneSelf: // '<', '>' or '&'
			f |= HTML
			j++
		default:
			r, size := utf8.DecodeRune(b[j:])
			switch {
			case r == utf8.RuneError && size == 1:
				f |= BadUTF8
			case r == '\u2028' || r == '\u2029':
				f |= HTML
			}
			j += size
		}
	}
}

// stringStop marks with 1 the bytes at which String leaves its fast loop:
// '"', '\\', control characters, '<', '>' and '&' (which json.Marshal
// escapes) and the bytes of non-ASCII characters; a string literal holds
// every other byte as it is.
const stringStop = "" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// PlainString returns the text between the quotes of v when v is exactly
// one JSON string literal that decodes to that text — no escapes, no control
// characters, valid UTF-8 — which is then what encoding/json decodes it to.
// ok is false for any other v.
func PlainString(v []byte) (s string, ok bool) {
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	end, f, ok := String(v, 0)
	if !ok || end != len(v) || !f.Plain() {
		return "", false
	}
	return string(v[1 : end-1]), true
}
