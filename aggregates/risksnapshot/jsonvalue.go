package risksnapshot

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects in a snapshot, so that a
// hostile document cannot exhaust the stack.
const maxDepth = 128

// maxIntDigits is the longest integer literal accepted in a free-form member.
// Python's json module refuses longer ones (sys.int_max_str_digits), so such
// a snapshot could not be hashed by a Python producer either.
const maxIntDigits = 4300

// kind is the JSON type of a [value].
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// value is one parsed JSON value. Numbers keep their literal text, so that
// an integer literal can be told from a float and the tokens NaN, Infinity
// and -Infinity (which Python writes, but which are not JSON) can be
// reported precisely instead of as a syntax error.
type value struct {
	kind kind
	// b is the value of a bool.
	b bool
	// s is the content of a string, or the literal of a number.
	s string
	// arr holds the elements of an array.
	arr []value
	// obj holds the members of an object, in document order; names are
	// unique.
	obj []member
}

// member is one member of a JSON object.
type member struct {
	name string
	val  value
}

// get returns the member called name, if any.
func (v *value) get(name string) (*value, bool) {
	for i := range v.obj {
		if v.obj[i].name == name {
			return &v.obj[i].val, true
		}
	}
	return nil, false
}

// isNull reports whether v is JSON null.
func (v *value) isNull() bool { return v.kind == kindNull }

// nonFinite reports whether v is one of the number tokens NaN, Infinity or
// -Infinity.
func (v *value) nonFinite() bool {
	return v.kind == kindNumber && (v.s == "NaN" || v.s == "Infinity" || v.s == "-Infinity")
}

// isIntegerLiteral reports whether v is a number written without fraction or
// exponent.
func (v *value) isIntegerLiteral() bool {
	return v.kind == kindNumber && !v.nonFinite() && !strings.ContainsAny(v.s, ".eE")
}

// float returns v as a binary64 value and whether it is a finite number. A
// literal beyond the binary64 range (1e400) is not finite; one below it
// rounds to zero, as Python's float() does.
func (v *value) float() (float64, bool) {
	if v.kind != kindNumber || v.nonFinite() {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// syntaxError reports a document that is not JSON (with the NaN tokens).
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%s at offset %d", e.msg, e.offset)
}

// parseJSON parses exactly one JSON value, surrounded by optional white
// space, from data. Beyond RFC 8259 it accepts the number tokens NaN,
// Infinity and -Infinity; it refuses a repeated object member name, a lone
// UTF-16 surrogate escape, invalid UTF-8 and nesting deeper than maxDepth.
func parseJSON(data []byte) (value, error) {
	p := parser{data: data}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return value{}, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return value{}, p.fail("unexpected data after the document")
	}
	return v, nil
}

type parser struct {
	data []byte
	pos  int
}

func (p *parser) fail(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), offset: p.pos}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// literal consumes word if the input continues with it.
func (p *parser) literal(word string) bool {
	if strings.HasPrefix(string(p.data[p.pos:min(len(p.data), p.pos+len(word))]), word) {
		p.pos += len(word)
		return true
	}
	return false
}

func (p *parser) value(depth int) (value, error) {
	if p.pos >= len(p.data) {
		return value{}, p.fail("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, err := p.string()
		return value{kind: kindString, s: s}, err
	case c == 't' && p.literal("true"):
		return value{kind: kindBool, b: true}, nil
	case c == 'f' && p.literal("false"):
		return value{kind: kindBool}, nil
	case c == 'n' && p.literal("null"):
		return value{kind: kindNull}, nil
	case c == 'N' && p.literal("NaN"):
		return value{kind: kindNumber, s: "NaN"}, nil
	case c == 'I' && p.literal("Infinity"):
		return value{kind: kindNumber, s: "Infinity"}, nil
	case c == '-' && p.literal("-Infinity"):
		return value{kind: kindNumber, s: "-Infinity"}, nil
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return value{}, p.fail("invalid character %q", p.data[p.pos])
}

func (p *parser) object(depth int) (value, error) {
	if depth > maxDepth {
		return value{}, p.fail("nesting deeper than %d levels", maxDepth)
	}
	p.pos++ // {
	v := value{kind: kindObject, obj: []member{}}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	var seen map[string]bool
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return value{}, p.fail("expected a member name")
		}
		at := p.pos
		name, err := p.string()
		if err != nil {
			return value{}, err
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		if seen[name] {
			return value{}, &syntaxError{msg: fmt.Sprintf("duplicate key %q", name), offset: at}
		}
		seen[name] = true
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return value{}, p.fail("expected ':' after a member name")
		}
		p.pos++
		p.skipSpace()
		mv, err := p.value(depth)
		if err != nil {
			return value{}, err
		}
		v.obj = append(v.obj, member{name: name, val: mv})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return value{}, p.fail("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return v, nil
		default:
			return value{}, p.fail("expected ',' or '}' in an object")
		}
	}
}

func (p *parser) array(depth int) (value, error) {
	if depth > maxDepth {
		return value{}, p.fail("nesting deeper than %d levels", maxDepth)
	}
	p.pos++ // [
	v := value{kind: kindArray, arr: []value{}}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		p.skipSpace()
		ev, err := p.value(depth)
		if err != nil {
			return value{}, err
		}
		v.arr = append(v.arr, ev)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return value{}, p.fail("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return v, nil
		default:
			return value{}, p.fail("expected ',' or ']' in an array")
		}
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number consumes a number with the grammar of RFC 8259 §6.
func (p *parser) number() (value, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.data) && p.data[p.pos] == '0':
		p.pos++
	case p.pos < len(p.data) && isDigit(p.data[p.pos]):
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	default:
		return value{}, p.fail("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if p.pos >= len(p.data) || !isDigit(p.data[p.pos]) {
			return value{}, p.fail("invalid number: no digit after the decimal point")
		}
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(p.data) || !isDigit(p.data[p.pos]) {
			return value{}, p.fail("invalid number: no digit in the exponent")
		}
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	}
	return value{kind: kindNumber, s: string(p.data[start:p.pos])}, nil
}

// string consumes a string and returns its content.
func (p *parser) string() (string, error) {
	p.pos++ // "
	var b strings.Builder
	for {
		if p.pos >= len(p.data) {
			return "", p.fail("unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\':
			if err := p.escape(&b); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", p.fail("control character %#02x in a string", c)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			p.pos++
		default:
			r, n := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && n <= 1 {
				return "", p.fail("invalid UTF-8 in a string")
			}
			b.WriteString(string(p.data[p.pos : p.pos+n]))
			p.pos += n
		}
	}
}

// escape consumes one backslash escape and writes what it stands for.
func (p *parser) escape(b *strings.Builder) error {
	if p.pos+1 >= len(p.data) {
		return p.fail("unterminated escape")
	}
	c := p.data[p.pos+1]
	p.pos += 2
	switch c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return err
		}
		if utf16.IsSurrogate(r) {
			if r >= 0xdc00 || !p.literal(`\u`) {
				return p.fail(`lone surrogate \u%04x in a string`, r)
			}
			lo, err := p.hex4()
			if err != nil {
				return err
			}
			pair := utf16.DecodeRune(r, lo)
			if pair == utf8.RuneError {
				return p.fail(`lone surrogate \u%04x in a string`, r)
			}
			r = pair
		}
		b.WriteRune(r)
	default:
		p.pos--
		return p.fail("invalid escape \\%c", c)
	}
	return nil
}

// hex4 consumes four hexadecimal digits.
func (p *parser) hex4() (rune, error) {
	if p.pos+4 > len(p.data) {
		return 0, p.fail(`truncated \u escape`)
	}
	n, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, p.fail(`invalid \u escape`)
	}
	p.pos += 4
	return rune(n), nil
}
