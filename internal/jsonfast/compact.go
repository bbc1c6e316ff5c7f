package jsonfast

import "encoding/json"

// AppendCompact appends the JSON value src without insignificant
// whitespace, as an Encoder with SetEscapeHTML(false) writes a
// json.RawMessage (or any Marshaler's output). ok is false, and dst is
// returned as it was, when src is not one valid value, possibly surrounded
// by whitespace, nested at most [MaxDepth] deep: the caller then leaves the
// encoding to encoding/json.
func AppendCompact(dst, src []byte) (_ []byte, ok bool) {
	start := SkipSpace(src, 0)
	end, f, ok := Value(src, start, MaxDepth)
	switch {
	case !ok || SkipSpace(src, end) != len(src):
		return dst, false
	case start == 0 && end == len(src) && f.Compact(false):
		return append(dst, src...), true
	}
	in := false // inside a string
	for i := start; i < end; i++ {
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
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == '"':
			in = true
		}
		dst = append(dst, c)
	}
	return dst, true
}

// AppendRaw appends m as encoding/json writes a json.RawMessage with HTML
// escaping off: null when m is nil, else as [AppendCompact] writes it, with
// the same ok.
func AppendRaw(dst []byte, m json.RawMessage) (_ []byte, ok bool) {
	if m == nil {
		return append(dst, "null"...), true
	}
	return AppendCompact(dst, m)
}
