package jsonfast

import (
	"encoding/json"
	"slices"
	"strconv"
)

// AppendAny appends a decoded JSON document as an Encoder with
// SetEscapeHTML(false) writes it, map keys in byte order. It knows the
// values encoding/json decodes into an any (map[string]any, []any, string,
// float64, bool, nil) and those documents built in code hold besides (int,
// int64, []string, []float64, json.RawMessage). ok is false for any other
// type, for a value encoding/json refuses (NaN, ±Inf, invalid raw JSON),
// and below [MaxDepth] levels, where encoding/json looks for cycles; dst
// then holds a partial encoding, and the caller encodes v through
// encoding/json instead.
func AppendAny(dst []byte, v any) (_ []byte, ok bool) {
	return appendAny(dst, v, 0)
}

// appendAny is AppendAny for a value depth levels deep.
func appendAny(dst []byte, v any, depth int) ([]byte, bool) {
	if depth > MaxDepth {
		return dst, false
	}
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case string:
		return AppendString(dst, x, false), true
	case float64:
		return AppendFloat(dst, x)
	case bool:
		return strconv.AppendBool(dst, x), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case map[string]any:
		return appendMap(dst, x, depth)
	case []any:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendAny(dst, e, depth+1); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case []string:
		return AppendStrings(dst, x, false), true
	case []float64:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, f := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = AppendFloat(dst, f); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case json.RawMessage:
		return AppendRaw(dst, x)
	}
	return dst, false
}

// appendMap appends a map[string]any with its keys in byte order.
func appendMap(dst []byte, m map[string]any, depth int) ([]byte, bool) {
	if m == nil {
		return append(dst, "null"...), true
	}
	var buf [32]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, k, false)
		dst = append(dst, ':')
		var ok bool
		if dst, ok = appendAny(dst, m[k], depth+1); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}
