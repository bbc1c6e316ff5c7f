// Package jsonfasttest holds the reference that the tests of the JSON fast
// paths (package jsonfast and the code built on it) compare with:
// encoding/json itself, called as the service calls it.
package jsonfasttest

import (
	"bytes"
	"encoding/json"
)

// MarshalNoHTML encodes v as an encoding/json Encoder with
// SetEscapeHTML(false) does — the form events.Marshal stores — without the
// Encoder's trailing newline.
func MarshalNoHTML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
