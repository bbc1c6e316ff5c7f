package metrics

import (
	"math"
	"sort"
)

// blockOrder is the normative traversal order of the top-level metric blocks
// (validation-core §5). Any other top-level key follows in lexicographic order.
var blockOrder = [...]string{"returns", "sample", "risk", "robustness", "diagnostics", "benchmark", "stress"}

// Flat is the look-up table rules evaluate against: every finite numeric leaf of
// a metrics document registered under its dotted path and under its leaf name
// (validation-core §5). A name is "present" when it is a key of the map.
type Flat map[string]float64

// Lookup returns the value registered under name and whether it is present.
func (f Flat) Lookup(name string) (float64, bool) {
	v, ok := f[name]
	return v, ok
}

// Flatten builds the [Flat] look-up table of a metrics document (a decoded JSON
// object: nested map[string]any with float64, json.Number, int or int64 leaves).
//
// Traversal is deterministic and independent of key order in the input: the
// top-level blocks in the order returns, sample, risk, robustness, diagnostics,
// benchmark, stress, then other keys lexicographically; inside every object its
// numeric leaves first, in key order, then its child objects, in key order. The
// first registration of a name wins. Non-finite numbers, booleans, strings,
// nulls and arrays are skipped (CD4).
func Flatten(doc map[string]any) Flat {
	flat := make(Flat, 64)
	seen := make(map[string]bool, len(blockOrder))
	for _, k := range blockOrder {
		seen[k] = true
	}
	var others []string
	for k := range doc {
		if !seen[k] {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	top := append(append([]string(nil), blockOrder[:]...), others...)

	// Top-level keys are visited in the block order: leaves and objects alike.
	for _, k := range top {
		v, ok := doc[k]
		if !ok {
			continue
		}
		if x, ok := Number(v); ok {
			flat.register(k, k, x)
			continue
		}
		if obj, ok := v.(map[string]any); ok {
			flat.walk(k, obj)
		}
	}
	return flat
}

func (f Flat) walk(prefix string, obj map[string]any) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if x, ok := Number(obj[k]); ok {
			f.register(prefix+"."+k, k, x)
		}
	}
	for _, k := range keys {
		if child, ok := obj[k].(map[string]any); ok {
			f.walk(prefix+"."+k, child)
		}
	}
}

func (f Flat) register(path, leaf string, x float64) {
	if _, ok := f[path]; !ok {
		f[path] = x
	}
	if _, ok := f[leaf]; !ok {
		f[leaf] = x
	}
}

// Number reports the value of v as a finite float64. It accepts the numeric
// types a JSON or YAML decoder produces and rejects booleans, strings, NaN and
// ±Inf, which the rule engine treats as absent (validation-core §4.8).
func Number(v any) (float64, bool) {
	var x float64
	switch n := v.(type) {
	case float64:
		x = n
	case float32:
		x = float64(n)
	case int:
		x = float64(n)
	case int64:
		x = float64(n)
	case int32:
		x = float64(n)
	case uint64:
		x = float64(n)
	case interface{ Float64() (float64, error) }: // json.Number
		f, err := n.Float64()
		if err != nil {
			return 0, false
		}
		x = f
	default:
		return 0, false
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}
