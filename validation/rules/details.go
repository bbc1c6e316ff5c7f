package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Detail is one member of [Details].
type Detail struct {
	// Key is the member name.
	Key string
	// Value is a JSON-encodable value: nil, bool, float64, int, string,
	// []string, a slice of violations, … .
	Value any
}

// Details holds a rule's rule-specific values (validation-core §8.1). It
// encodes as a JSON object whose members keep their insertion order; a nil
// Details encodes as {}. It is a list rather than a map because results are
// built on the evaluation hot path, where a handful of small maps per run
// cost more than the rest of the rule logic.
type Details []Detail

// withRoom builds details with spare capacity for the members a failing check
// may add later.
func withRoom(extra int, ds ...Detail) Details {
	return append(make(Details, 0, len(ds)+extra), ds...)
}

// Get returns the value of key.
func (d Details) Get(key string) (any, bool) {
	for _, m := range d {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// Set replaces the value of key, or appends it.
func (d *Details) Set(key string, v any) {
	for i := range *d {
		if (*d)[i].Key == key {
			(*d)[i].Value = v
			return
		}
	}
	*d = append(*d, Detail{key, v})
}

// Map returns the details as a map.
func (d Details) Map() map[string]any {
	m := make(map[string]any, len(d))
	for _, x := range d {
		m[x.Key] = x.Value
	}
	return m
}

// MarshalJSON encodes the details as a JSON object, in order.
func (d Details) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range d {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.Key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.Value)
		if err != nil {
			return nil, fmt.Errorf("detail %s: %w", m.Key, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON decodes a JSON object, keeping member order; values decode as
// encoding/json decodes into any.
func (d *Details) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*d = nil
		return nil
	}
	if t, ok := tok.(json.Delim); !ok || t != '{' {
		return errors.New("rules: details must be a JSON object")
	}
	out := Details{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("detail %v: %w", kt, err)
		}
		out = append(out, Detail{kt.(string), v})
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	*d = out
	return nil
}
