package processor

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Every request and command body goes through decodeObject, whose
// token-by-token reading through encoding/json scans each value twice and
// dominates the cost of a submission of a few kilobytes. splitObject reads
// the usual body — one object of distinct members with plain names — in one
// pass of the small checker below, which accepts a subset of what
// encoding/json accepts (valid JSON nested at most splitMaxDepth deep). For
// anything else it declines, and decodeObject's reading through
// encoding/json decides, with its own errors and problems.

// Bounds of what splitObject reads; other bodies are left to encoding/json.
const (
	// splitMaxDepth bounds the nesting (encoding/json's limit is 10,000).
	splitMaxDepth = 256
	// splitMaxMembers bounds the members of the object, whose names are
	// compared pairwise.
	splitMaxMembers = 64
)

// splitObject returns the members of body when it is exactly one JSON object,
// possibly surrounded by JSON whitespace, whose member names are distinct and
// hold no escapes, control characters or invalid UTF-8: the members
// decodeObject would return, in document order, each value as written
// without the whitespace around it. ok is false for any other body.
func splitObject(body []byte) (members []jsonMember, ok bool) {
	c := jsonChecker{b: body}
	i := c.space(0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	type span struct{ name, start, end int }
	var spans [16]span
	found := spans[:0]
	i = c.space(i + 1)
	if i < len(body) && body[i] == '}' {
		if c.space(i+1) != len(body) {
			return nil, false
		}
		return nil, true
	}
	for {
		if i >= len(body) || body[i] != '"' {
			return nil, false
		}
		end, ok := c.str(i)
		if !ok || !plainName(body[i+1:end-1]) {
			return nil, false
		}
		name := i
		if i = c.space(end); i >= len(body) || body[i] != ':' {
			return nil, false
		}
		start := c.space(i + 1)
		if i, ok = c.value(start, 1); !ok {
			return nil, false
		}
		if len(found) == splitMaxMembers {
			return nil, false
		}
		found = append(found, span{name, start, i})
		if i = c.space(i); i >= len(body) {
			return nil, false
		}
		switch body[i] {
		case ',':
			i = c.space(i + 1)
			continue
		case '}':
			if c.space(i+1) != len(body) {
				return nil, false
			}
		default:
			return nil, false
		}
		break
	}
	// The values are copies, as encoding/json's are: a body may be a buffer
	// its reader reuses.
	own := bytes.Clone(body)
	members = make([]jsonMember, len(found))
	for k, s := range found {
		nameEnd := s.name + 1 + bytes.IndexByte(body[s.name+1:], '"')
		name := string(body[s.name+1 : nameEnd])
		for _, m := range members[:k] {
			if m.name == name {
				return nil, false // repeated: decodeObject reports it
			}
		}
		members[k] = jsonMember{name: name, value: json.RawMessage(own[s.start:s.end:s.end])}
	}
	return members, true
}

// plainName reports whether a member name, as written between its quotes,
// decodes to the same bytes: no escapes, no control characters, valid UTF-8.
func plainName(name []byte) bool {
	ascii := true
	for _, c := range name {
		switch {
		case c == '\\' || c < 0x20:
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return ascii || utf8.Valid(name)
}

// jsonChecker checks JSON text for splitObject.
type jsonChecker struct{ b []byte }

// space returns the index of the first byte at or after i that is not JSON
// whitespace.
func (c jsonChecker) space(i int) int {
	for i < len(c.b) && (c.b[i] == ' ' || c.b[i] == '\t' || c.b[i] == '\n' || c.b[i] == '\r') {
		i++
	}
	return i
}

// value checks the value starting at b[i] and returns the index just past
// it; false when there is no valid value there, or one nested deeper than
// splitMaxDepth.
func (c jsonChecker) value(i, depth int) (int, bool) {
	if i >= len(c.b) {
		return i, false
	}
	switch b := c.b[i]; {
	case b == '"':
		return c.str(i)
	case b == '{' || b == '[':
		return c.container(i, depth+1)
	case b == '-' || b >= '0' && b <= '9':
		return c.number(i)
	case b == 't':
		return c.literal(i, "true")
	case b == 'f':
		return c.literal(i, "false")
	case b == 'n':
		return c.literal(i, "null")
	}
	return i, false
}

// container checks the object or array opening at b[i].
func (c jsonChecker) container(i, depth int) (int, bool) {
	if depth > splitMaxDepth {
		return i, false
	}
	object := c.b[i] == '{'
	closing := byte(']')
	if object {
		closing = '}'
	}
	i = c.space(i + 1)
	if i < len(c.b) && c.b[i] == closing {
		return i + 1, true
	}
	for {
		var ok bool
		if object {
			if i >= len(c.b) || c.b[i] != '"' {
				return i, false
			}
			if i, ok = c.str(i); !ok {
				return i, false
			}
			if i = c.space(i); i >= len(c.b) || c.b[i] != ':' {
				return i, false
			}
			i = c.space(i + 1)
		}
		if i, ok = c.value(i, depth); !ok {
			return i, false
		}
		if i = c.space(i); i >= len(c.b) {
			return i, false
		}
		switch c.b[i] {
		case ',':
			i = c.space(i + 1)
		case closing:
			return i + 1, true
		default:
			return i, false
		}
	}
}

// str checks the string opening at b[i]: no control characters, only the
// escapes JSON defines (encoding/json does not require valid UTF-8 in
// values).
func (c jsonChecker) str(i int) (int, bool) {
	b := c.b
	for i++; i < len(b); i++ {
		switch ch := b[i]; {
		case ch == '"':
			return i + 1, true
		case ch < 0x20:
			return i, false
		case ch == '\\':
			i++
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHexDigit(b[i+1]) || !isHexDigit(b[i+2]) || !isHexDigit(b[i+3]) || !isHexDigit(b[i+4]) {
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

// isHexDigit reports whether ch is a hexadecimal digit.
func isHexDigit(ch byte) bool {
	return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F'
}

// number checks the number starting at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (c jsonChecker) number(i int) (int, bool) {
	b := c.b
	digits := func(i int) int {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

// literal checks that b[i:] starts with lit.
func (c jsonChecker) literal(i int, lit string) (int, bool) {
	if len(c.b)-i < len(lit) || string(c.b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}
