package extended

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// ApplyPatch applies an RFC 7386 JSON merge patch to a decoded JSON
// document and returns the result: objects merge member by member, null
// removes a member, anything else replaces. The document is not modified;
// the result shares no maps with it.
func ApplyPatch(doc map[string]any, patch map[string]any) map[string]any {
	out := cloneObject(doc)
	mergeInto(out, patch)
	return out
}

func mergeInto(target, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(target, k)
			continue
		}
		pv, ok := v.(map[string]any)
		if !ok {
			target[k] = cloneValue(v)
			continue
		}
		tv, ok := target[k].(map[string]any)
		if !ok {
			tv = map[string]any{}
		}
		mergeInto(tv, pv)
		target[k] = tv
	}
}

// Diff returns the RFC 7386 merge patch that turns from into to: members of
// to that are new or different, null for members of from that to lacks, and
// nested patches for objects on both sides. Numbers compare by value. Equal
// documents give an empty patch.
func Diff(from, to map[string]any) map[string]any {
	patch := map[string]any{}
	for k, tv := range to {
		fv, had := from[k]
		if !had {
			patch[k] = cloneValue(tv)
			continue
		}
		fo, fObj := fv.(map[string]any)
		to, tObj := tv.(map[string]any)
		switch {
		case fObj && tObj:
			if sub := Diff(fo, to); len(sub) > 0 {
				patch[k] = sub
			}
		case !equalJSON(fv, tv):
			patch[k] = cloneValue(tv)
		}
	}
	for k := range from {
		if _, kept := to[k]; !kept {
			patch[k] = nil
		}
	}
	return patch
}

// equalJSON compares two decoded JSON values; numbers compare as float64.
func equalJSON(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, equalJSON)
	case []float64:
		y, ok := b.([]float64)
		return ok && slices.Equal(x, y)
	}
	return a == b
}

// number reads the numeric types a decoded document may hold.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// cloneObject deep-copies a decoded JSON object; nil gives an empty one.
func cloneObject(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+4)
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneObject(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	case []float64:
		return slices.Clone(x)
	}
	return v
}

// DecodeObject decodes a JSON object document; empty input and null give
// an empty document.
func DecodeObject(raw json.RawMessage) (map[string]any, error) {
	doc := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return doc, nil
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode metrics document: %w", err)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}
