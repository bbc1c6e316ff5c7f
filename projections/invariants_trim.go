package projections

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/worldval/worldval/internal/jsonfast"
)

// The trims below keep what the invariants read of a metrics document and of
// a rule result. Each has a scanning path, which copies the parts it keeps
// without decoding them (splitting objects with [jsonfast.AppendMembers]),
// and a decoding path (the reference, and the fallback for anything the
// scanner refuses); both give the same bytes. Each returns new bytes, never
// shared ones.

// invariantBlocks returns the metrics blocks the invariants read, besides
// diagnostics.validation_health, in key order. (A function rather than a
// package variable: the package keeps no mutable state.)
func invariantBlocks() [4]string {
	return [...]string{"returns", "risk", "robustness", "sample"}
}

// trimMetrics keeps of a metrics document the blocks the invariants read
// and the recorded validation health, in a JSON object with sorted keys.
// Metrics that are not a JSON object trim to {}.
func trimMetrics(metrics json.RawMessage) (json.RawMessage, error) {
	if out, ok := trimMetricsScanned(metrics); ok {
		return out, nil
	}
	return trimMetricsDecoded(metrics)
}

// trimMetricsScanned is trimMetrics for a document the scanner reads whole
// and whose keys are plain; ok is false for any other.
func trimMetricsScanned(metrics json.RawMessage) (out json.RawMessage, ok bool) {
	var buf [8]jsonfast.Member
	ms, ok := jsonfast.AppendMembers(buf[:0], objectOrEmpty(metrics), maxScanDepth)
	if !ok {
		return nil, false
	}
	blocks := invariantBlocks()
	var kept [len(blocks)]*jsonfast.Member
	var health jsonfast.Member
	hasHealth := false
	for i := range ms {
		m := &ms[i]
		if !m.NameForm.Canonical() {
			return nil, false
		}
		k := string(m.Name)
		if k == "diagnostics" {
			// encoding/json keeps the last of repeated keys.
			if health, hasHealth, ok = validationHealth(m.Value); !ok {
				return nil, false
			}
			continue
		}
		for i, b := range blocks {
			if k == b {
				kept[i] = m
			}
		}
	}
	out = make([]byte, 0, 64+len(metrics))
	out = append(out, '{')
	if hasHealth {
		out = append(out, `"diagnostics":{"validation_health":`...)
		out = appendCompact(out, &health)
		out = append(out, '}')
	}
	for i, m := range kept {
		if m == nil {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, blocks[i]...)
		out = append(out, '"', ':')
		out = appendCompact(out, m)
	}
	return append(out, '}'), true
}

// validationHealth returns the validation_health member of a diagnostics
// value as decoding it into a struct with that one field would: none when
// diagnostics is not an object or has no such member, the last one when
// there are several. ok is false when a key might match the field only as
// encoding/json matches names, regardless of case.
func validationHealth(diag []byte) (health jsonfast.Member, found, ok bool) {
	if diag[0] != '{' {
		return jsonfast.Member{}, false, true // null, or not an object: no health
	}
	var buf [8]jsonfast.Member
	ms, ok := jsonfast.AppendMembers(buf[:0], diag, maxScanDepth)
	if !ok {
		return jsonfast.Member{}, false, false
	}
	for _, m := range ms {
		switch k := string(m.Name); {
		case !m.NameForm.Canonical() || !isASCII(k):
			return jsonfast.Member{}, false, false
		case k == "validation_health":
			health, found = m, true
		case strings.EqualFold(k, "validation_health"):
			return jsonfast.Member{}, false, false
		}
	}
	return health, found, true
}

// appendCompact appends m's value as json.Marshal writes a json.RawMessage
// holding it.
func appendCompact(dst []byte, m *jsonfast.Member) []byte {
	if m.Form.Compact(true) {
		return append(dst, m.Value...)
	}
	b, err := json.Marshal(json.RawMessage(m.Value))
	if err != nil {
		// Unreachable: the scanner validated the value. Keep it as it is
		// rather than lose it.
		return append(dst, m.Value...)
	}
	return append(dst, b...)
}

// trimMetricsDecoded is trimMetrics by decoding the document.
func trimMetricsDecoded(metrics json.RawMessage) (json.RawMessage, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(objectOrEmpty(metrics), &doc); err != nil {
		doc = nil
	}
	kept := make(map[string]json.RawMessage, 5)
	for _, block := range invariantBlocks() {
		if b, ok := doc[block]; ok {
			kept[block] = b
		}
	}
	var diag struct {
		Health json.RawMessage `json:"validation_health"`
	}
	if d, ok := doc["diagnostics"]; ok && json.Unmarshal(d, &diag) == nil && diag.Health != nil {
		kept["diagnostics"] = json.RawMessage(`{"validation_health":` + string(diag.Health) + `}`)
	}
	m, err := json.Marshal(kept)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}

// trimResult keeps of a rule result its reason code: {"reason_code":…}, or
// {} when it has none (a result that is not an object has none).
func trimResult(result json.RawMessage) (json.RawMessage, error) {
	if out, ok := trimResultScanned(result); ok {
		return out, nil
	}
	return trimResultDecoded(result)
}

// trimResultScanned is trimResult for a result the scanner reads whole and
// whose keys are plain; ok is false for any other. It follows what decoding
// into a struct with a *string field does: the last reason_code wins, null
// clears it, and a value of another type leaves it as it was, or sets it to
// "" when unset.
func trimResultScanned(result json.RawMessage) (out json.RawMessage, ok bool) {
	var buf [8]jsonfast.Member
	ms, ok := jsonfast.AppendMembers(buf[:0], result, maxScanDepth)
	if !ok {
		return nil, false
	}
	var code []byte // the literal of the reason code, quotes included
	plain, set := false, false
	for _, m := range ms {
		switch k := string(m.Name); {
		case !m.NameForm.Canonical() || !isASCII(k):
			return nil, false
		case k == "reason_code":
			switch m.Value[0] {
			case '"':
				code, plain, set = m.Value, m.Form.Canonical(), true
			case 'n':
				code, set = nil, false
			default:
				if !set {
					code, plain, set = []byte(`""`), true, true
				}
			}
		case strings.EqualFold(k, "reason_code"):
			return nil, false
		}
	}
	if !set {
		return json.RawMessage(`{}`), true
	}
	if !plain {
		var s string
		if err := json.Unmarshal(code, &s); err != nil {
			return nil, false
		}
		b, err := json.Marshal(s)
		if err != nil {
			return nil, false
		}
		code = b
	}
	out = make([]byte, 0, len(`{"reason_code":}`)+len(code))
	out = append(out, `{"reason_code":`...)
	out = append(out, code...)
	return append(out, '}'), true
}

// trimResultDecoded is trimResult by decoding the result.
func trimResultDecoded(result json.RawMessage) (json.RawMessage, error) {
	var rc struct {
		ReasonCode *string `json:"reason_code"`
	}
	_ = json.Unmarshal(result, &rc) // a result that is not an object has no reason code
	if rc.ReasonCode == nil {
		return json.RawMessage(`{}`), nil
	}
	b, err := json.Marshal(map[string]string{"reason_code": *rc.ReasonCode})
	if err != nil {
		return nil, fmt.Errorf("reason code: %w", err)
	}
	return b, nil
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
