package projections

import (
	"encoding/json"

	"github.com/worldval/worldval/internal/jsonfast"
)

// maxScanDepth bounds the nesting the scanning paths of this package (merge
// patches, trims, decodeValue) follow; deeper documents take the
// encoding/json path, which allows 10,000 levels.
const maxScanDepth = 1000

// decodeValue decodes raw into an any as decodeNumbers does (numbers as
// [json.Number], the first value only). A document the scanner reads whole
// is built from the scan, without encoding/json's reflection; any other goes
// through decodeNumbers.
func decodeValue(raw []byte) (any, error) {
	i := jsonfast.SkipSpace(raw, 0)
	if end, _, ok := jsonfast.Value(raw, i, maxScanDepth); ok && jsonfast.SkipSpace(raw, end) == len(raw) {
		if v, _, ok := buildValue(raw, i); ok {
			return v, nil
		}
	}
	var v any
	if err := decodeNumbers(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// buildValue decodes the value at b[i], which the scanner accepted, and
// returns the offset past it; ok is false if a string does not decode.
func buildValue(b []byte, i int) (v any, end int, ok bool) {
	switch c := b[i]; {
	case c == '{':
		m := map[string]any{}
		j := jsonfast.SkipSpace(b, i+1)
		if b[j] == '}' {
			return m, j + 1, true
		}
		for {
			k, kend, ok := buildString(b, j)
			if !ok {
				return nil, 0, false
			}
			j = jsonfast.SkipSpace(b, jsonfast.SkipSpace(b, kend)+1) // past ':'
			if m[k], j, ok = buildValue(b, j); !ok {
				return nil, 0, false
			}
			j = jsonfast.SkipSpace(b, j)
			if b[j] == '}' {
				return m, j + 1, true
			}
			j = jsonfast.SkipSpace(b, j+1) // past ','
		}
	case c == '[':
		a := []any{}
		j := jsonfast.SkipSpace(b, i+1)
		if b[j] == ']' {
			return a, j + 1, true
		}
		for {
			var e any
			if e, j, ok = buildValue(b, j); !ok {
				return nil, 0, false
			}
			a = append(a, e)
			j = jsonfast.SkipSpace(b, j)
			if b[j] == ']' {
				return a, j + 1, true
			}
			j = jsonfast.SkipSpace(b, j+1)
		}
	case c == '"':
		return buildString(b, i)
	case c == 't':
		return true, i + 4, true
	case c == 'f':
		return false, i + 5, true
	case c == 'n':
		return nil, i + 4, true
	}
	end, _ = jsonfast.Number(b, i)
	return json.Number(b[i:end]), end, true
}

// buildString decodes the string literal at b[i].
func buildString(b []byte, i int) (s string, end int, ok bool) {
	end, f, ok := jsonfast.String(b, i)
	if !ok {
		return "", 0, false
	}
	if f.Plain() {
		return string(b[i+1 : end-1]), end, true
	}
	if err := json.Unmarshal(b[i:end], &s); err != nil {
		return "", 0, false
	}
	return s, end, true
}
