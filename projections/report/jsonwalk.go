package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// member is one member of a JSON object, in document order.
type member struct {
	Key   string
	Value json.RawMessage
}

// members returns the members of a JSON object in document order; anything
// else (null, an array, invalid JSON) has none.
func members(raw json.RawMessage) []member {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var out []member
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return out
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		out = append(out, member{Key: kt.(string), Value: v})
	}
	return out
}

// get returns the member called key.
func get(ms []member, key string) (json.RawMessage, bool) {
	for _, m := range ms {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// text renders a scalar for a table: strings as they are, numbers in the
// shortest form (%g), booleans and null as words, containers as compact
// JSON.
func text(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "n/a"
	}
	switch t[0] {
	case '"':
		var s string
		if json.Unmarshal(t, &s) == nil {
			return s
		}
	case 'n':
		return "null"
	case 't', 'f':
		return string(t)
	case '{', '[':
		var b bytes.Buffer
		if json.Compact(&b, t) == nil {
			return b.String()
		}
	default:
		if f, err := strconv.ParseFloat(string(t), 64); err == nil {
			return num(f)
		}
	}
	return string(t)
}

// str decodes a JSON string, "" for anything else.
func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// number decodes a JSON number.
func number(raw json.RawMessage) (float64, bool) {
	var f float64
	if isNull(raw) || json.Unmarshal(raw, &f) != nil {
		return 0, false
	}
	return f, true
}

// strings decodes a string or a list of strings (other list elements are
// rendered as text); anything else gives nothing.
func stringList(raw json.RawMessage) []string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return nil
	}
	if t[0] == '"' {
		if s := strings.TrimSpace(str(t)); s != "" {
			return []string{s}
		}
		return nil
	}
	var list []json.RawMessage
	if json.Unmarshal(t, &list) != nil {
		return nil
	}
	var out []string
	for _, e := range list {
		if s := strings.TrimSpace(text(e)); s != "" && !isNull(e) {
			out = append(out, s)
		}
	}
	return out
}

// num formats a number as Python's %g does (six significant digits), the
// format validation-core §12.1 prescribes for metric values.
func num(f float64) string {
	return fmt.Sprintf("%.6g", f)
}

// leaves walks a JSON document in document order and calls fn with the
// dotted path of every numeric or string leaf until fn returns false.
func leaves(raw json.RawMessage, prefix string, fn func(path string, value json.RawMessage) bool) bool {
	for _, m := range members(raw) {
		path := m.Key
		if prefix != "" {
			path = prefix + "." + m.Key
		}
		t := bytes.TrimSpace(m.Value)
		if len(t) == 0 {
			continue
		}
		switch {
		case t[0] == '{':
			if !leaves(t, path, fn) {
				return false
			}
		case t[0] == '"' || t[0] == '-' || (t[0] >= '0' && t[0] <= '9'):
			if !fn(path, t) {
				return false
			}
		}
	}
	return true
}
