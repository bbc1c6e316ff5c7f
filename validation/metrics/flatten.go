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
	f := flattener{flat: make(Flat, 2*countLeaves(doc))}
	for _, k := range blockOrder {
		if v, ok := doc[k]; ok {
			f.top(k, v)
		}
	}
	if !onlyBlocks(doc) {
		for k := range doc {
			if !isBlock(k) {
				f.keys = append(f.keys, k)
			}
		}
		others := f.keys
		sort.Strings(others)
		for _, k := range others {
			f.top(k, doc[k])
		}
	}
	return f.flat
}

// flattener carries the output and reusable key and path buffers through the
// walk, so that sorting each object's keys and building dotted paths cost
// one allocation per registered path and little else.
type flattener struct {
	flat Flat
	keys []string
	path []byte
}

// top visits one top-level key: a number registers under its own name, an
// object is walked.
func (f *flattener) top(k string, v any) {
	if x, ok := Number(v); ok {
		f.register(k, k, x)
		return
	}
	if obj, ok := v.(map[string]any); ok {
		f.path = append(f.path[:0], k...)
		f.walk(obj)
	}
}

// walk registers the numeric leaves of obj, whose dotted path is f.path, in
// key order, then descends into its child objects in key order.
func (f *flattener) walk(obj map[string]any) {
	start := len(f.keys)
	for k := range obj {
		f.keys = append(f.keys, k)
	}
	sort.Strings(f.keys[start:])
	base := len(f.path)
	for i := start; i < start+len(obj); i++ {
		k := f.keys[i]
		if x, ok := Number(obj[k]); ok {
			f.path = append(append(f.path[:base], '.'), k...)
			f.register(string(f.path), k, x)
		}
	}
	for i := start; i < start+len(obj); i++ {
		k := f.keys[i]
		if child, ok := obj[k].(map[string]any); ok {
			f.path = append(append(f.path[:base], '.'), k...)
			f.walk(child)
		}
	}
	f.path = f.path[:base]
	f.keys = f.keys[:start]
}

func (f *flattener) register(path, leaf string, x float64) {
	if _, ok := f.flat[path]; !ok {
		f.flat[path] = x
	}
	if _, ok := f.flat[leaf]; !ok {
		f.flat[leaf] = x
	}
}

// countLeaves counts the numeric leaves under obj, to size the map once.
func countLeaves(obj map[string]any) int {
	n := 0
	for _, v := range obj {
		if child, ok := v.(map[string]any); ok {
			n += countLeaves(child)
		} else if _, ok := Number(v); ok {
			n++
		}
	}
	return n
}

func isBlock(k string) bool {
	for _, b := range blockOrder {
		if k == b {
			return true
		}
	}
	return false
}

// onlyBlocks reports whether every key of doc is one of the named blocks.
func onlyBlocks(doc map[string]any) bool {
	for k := range doc {
		if !isBlock(k) {
			return false
		}
	}
	return true
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
