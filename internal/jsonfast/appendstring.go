package jsonfast

import "unicode/utf8"

// AppendString appends s as encoding/json writes a string: '"' and '\\'
// escaped, control characters as \b, \f, \n, \r, \t or \u00XX, invalid
// UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and \u2029, and, when
// escapeHTML is set (json.Marshal; an Encoder with SetEscapeHTML(false)
// clears it), '<', '>' and '&' as \u003c, \u003e and \u0026; everything
// else as it is.
func AppendString(dst []byte, s string, escapeHTML bool) []byte {
	const hex = "0123456789abcdef"
	// escapeBelow64 is the set of the characters below 64 that are
	// escaped; from 64 to 127 only '\\' is.
	escapeBelow64 := uint64(1<<0x20 - 1 | 1<<'"')
	if escapeHTML {
		escapeBelow64 |= 1<<'<' | 1<<'>' | 1<<'&'
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 64 && escapeBelow64>>c&1 == 0 || c >= 64 && c != '\\' {
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

// AppendStrings appends ss as encoding/json writes a []string: null when
// nil, each string as [AppendString] writes it.
func AppendStrings(dst []byte, ss []string, escapeHTML bool) []byte {
	if ss == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, s, escapeHTML)
	}
	return append(dst, ']')
}
