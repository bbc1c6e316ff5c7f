package rules

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
	return d.appendJSON(make([]byte, 0, 256))
}

// UnmarshalJSON decodes a JSON object, keeping member order; values decode as
// encoding/json decodes into any.
func (d *Details) UnmarshalJSON(data []byte) error {
	out := Details{}
	isNull, err := decodeObject(data, "details", func(k string, v any) { out = append(out, Detail{k, v}) })
	switch {
	case err != nil:
		return err
	case isNull:
		*d = nil
	default:
		*d = out
	}
	return nil
}
