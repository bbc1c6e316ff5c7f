package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// decodeObject reads a JSON object member by member, in document order,
// decoding each value as a V and handing it to add. It reports null as
// isNull and anything but an object as an error naming what.
func decodeObject[V any](data []byte, what string, add func(key string, v V)) (isNull bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	if tok == nil {
		return true, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return false, fmt.Errorf("rules: %s must be a JSON object", what)
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return false, err
		}
		var v V
		if err := dec.Decode(&v); err != nil {
			return false, fmt.Errorf("%s %v: %w", what, kt, err)
		}
		add(kt.(string), v)
	}
	if _, err := dec.Token(); err != nil {
		return false, err
	}
	return false, nil
}
