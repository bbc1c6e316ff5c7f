package projections

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/worldval/worldval/internal/jsonfast"
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
// Numbers keep their literal text. The result is what json.Marshal makes of
// the merged document decoded into an any: compact, with the keys of every
// object sorted.
//
// A target is a whole metrics document and a patch a few keys of it, so
// when the patch is an object only the target's objects on the patch's
// paths are taken apart; every other part of the target is copied as it is
// when it already has the form json.Marshal would give it (see
// [jsonfast.Form.Canonical]), and re-encoded otherwise. Anything else takes the path of
// mergePatchDecoded, which decodes both documents whole.
func mergePatch(target, patch json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(patch)) == 0 {
		return target, nil
	}
	if p, err := decodeValue(patch); err == nil {
		if pm, ok := p.(map[string]any); ok {
			out, ok, err := mergeObject(make([]byte, 0, len(target)+len(patch)), objectOrEmpty(target), pm)
			if err != nil {
				return nil, fmt.Errorf("merge patch: %w", err)
			}
			if ok {
				return out, nil
			}
		}
	}
	return mergePatchDecoded(target, patch)
}

// mergeObject appends to dst the merge of patch into obj, a JSON object. It
// reports false (and appends nothing useful) when obj is not one object, or
// one of its objects on the patch's paths has a key that is not plain or a
// key twice; the caller then decodes both documents whole.
func mergeObject(dst, obj []byte, patch map[string]any) (out []byte, ok bool, err error) {
	var buf [8]jsonfast.Member
	ms, ok := jsonfast.AppendMembers(buf[:0], obj, maxScanDepth)
	if !ok {
		return nil, false, nil
	}
	for _, m := range ms {
		if !m.NameForm.Canonical() {
			return nil, false, nil
		}
	}
	byKey := func(a, b jsonfast.Member) int { return bytes.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(ms, byKey) {
		slices.SortStableFunc(ms, byKey)
	}
	for i := 1; i < len(ms); i++ {
		if bytes.Equal(ms[i-1].Name, ms[i].Name) {
			return nil, false, nil // encoding/json keeps the last one
		}
	}
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	start := len(dst)
	for i, j := 0, 0; i < len(ms) || j < len(keys); {
		var c int
		switch {
		case i == len(ms):
			c = 1
		case j == len(keys):
			c = -1
		default:
			c = compareKey(ms[i].Name, keys[j])
		}
		var pv any
		var m *jsonfast.Member
		switch {
		case c < 0:
			m = &ms[i]
			i++
		case c > 0:
			pv = patch[keys[j]]
			j++
			if pv == nil {
				continue
			}
		default:
			m, pv = &ms[i], patch[keys[j]]
			i, j = i+1, j+1
			if pv == nil {
				continue // removed
			}
		}
		if len(dst) > start {
			dst = append(dst, ',')
		}
		if m != nil {
			dst = append(dst, '"')
			dst = append(dst, m.Name...)
			dst = append(dst, '"', ':')
		} else {
			if dst, err = appendMarshal(dst, keys[j-1]); err != nil {
				return nil, false, err
			}
			dst = append(dst, ':')
		}
		switch pm, isObject := pv.(map[string]any); {
		case pv == nil: // the target's member, unchanged
			if dst, ok, err = appendCanonical(dst, m); !ok || err != nil {
				return nil, ok, err
			}
		case isObject && m != nil && m.Value[0] == '{':
			if dst, ok, err = mergeObject(dst, m.Value, pm); !ok || err != nil {
				return nil, ok, err
			}
		default:
			if dst, err = appendMarshal(dst, mergeValue(nil, pv)); err != nil {
				return nil, false, err
			}
		}
	}
	return append(dst, '}'), true, nil
}

// compareKey compares a plain key's text with a decoded key.
func compareKey(a []byte, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return cmp.Compare(len(a), len(b))
}

// appendCanonical appends m's value as json.Marshal encodes it decoded.
func appendCanonical(dst []byte, m *jsonfast.Member) ([]byte, bool, error) {
	if m.Form.Canonical() {
		return append(dst, m.Value...), true, nil
	}
	v, err := decodeValue(m.Value)
	if err != nil {
		return nil, false, nil
	}
	dst, err = appendMarshal(dst, v)
	return dst, err == nil, err
}

// appendMarshal appends the JSON encoding of v.
func appendMarshal(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case json.Number: // from decodeNumbers, so valid: json.Marshal writes it as it is
		return append(dst, v...), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case nil:
		return append(dst, "null"...), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// mergePatchDecoded is mergePatch by decoding both documents whole: the
// general case, and the reference of the faster path.
func mergePatchDecoded(target, patch json.RawMessage) (json.RawMessage, error) {
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
