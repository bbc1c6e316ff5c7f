package projections

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// emptyObject is the JSON document {}.
var emptyObject = json.RawMessage(`{}`)

// objectOrEmpty returns raw, or {} when raw is empty or null.
func objectOrEmpty(raw json.RawMessage) json.RawMessage {
	if b := bytes.TrimSpace(raw); len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return emptyObject
	}
	return raw
}

// mergePatch applies patch to target as an RFC 7386 JSON merge patch:
// objects merge key by key, null removes a key, anything else replaces.
// Numbers keep their literal text.
func mergePatch(target, patch json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(patch)) == 0 {
		return target, nil
	}
	var t, p any
	if err := decodeNumbers(objectOrEmpty(target), &t); err != nil {
		return nil, fmt.Errorf("merge patch target: %w", err)
	}
	if err := decodeNumbers(patch, &p); err != nil {
		return nil, fmt.Errorf("merge patch: %w", err)
	}
	out, err := json.Marshal(mergeValue(t, p))
	if err != nil {
		return nil, fmt.Errorf("merge patch: %w", err)
	}
	return out, nil
}

func mergeValue(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = make(map[string]any, len(pm))
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergeValue(tm[k], v)
	}
	return tm
}

// decodeNumbers decodes raw into v keeping numbers as [json.Number].
func decodeNumbers(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// withValidationHealth merges health into metrics.diagnostics.validation_health
// (the verdict's keys win over submitted ones, validation-core §9.6).
func withValidationHealth(metrics, health json.RawMessage) (json.RawMessage, error) {
	if b := bytes.TrimSpace(health); len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return metrics, nil
	}
	patch := make([]byte, 0, len(health)+48)
	patch = append(patch, `{"diagnostics":{"validation_health":`...)
	patch = append(patch, health...)
	patch = append(patch, "}}"...)
	return mergePatch(metrics, patch)
}
