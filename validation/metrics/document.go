package metrics

import (
	"math"
	"strings"
)

// This file holds the helpers that read and fill metrics documents (decoded
// JSON objects) without mutating the caller's copy, and the merge rule of
// validation-core §4.11: submitted finite values win, derivations fill nulls.

// Result is a metrics document produced by a derivation together with the
// dotted paths it filled, in the order they were written.
type Result struct {
	// Metrics is a fresh document (deep copy of the input plus the derived
	// values); the caller owns it.
	Metrics map[string]any
	// Derivations lists the dotted paths (e.g. "returns.sharpe",
	// "diagnostics.extra_metrics.benchmark_sharpe") whose values were written
	// by the derivation because they were null. Values that were submitted are
	// never listed.
	Derivations []string
}

// deepCopy copies the maps and slices of a decoded JSON value; other values
// (numbers, strings, booleans, nil) are immutable and shared.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyDoc(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	case []float64:
		return append([]float64(nil), t...)
	}
	return v
}

// copyDoc deep-copies a document; nil gives an empty document.
func copyDoc(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+4)
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// lookup returns the value at a dotted path given as segments.
func lookup(doc map[string]any, path ...string) (any, bool) {
	cur := doc
	for i, seg := range path {
		v, ok := cur[seg]
		if !ok {
			return nil, false
		}
		if i == len(path)-1 {
			return v, true
		}
		if cur, ok = v.(map[string]any); !ok {
			return nil, false
		}
	}
	return nil, false
}

// numberAt returns the finite number at a path.
func numberAt(doc map[string]any, path ...string) (float64, bool) {
	v, _ := lookup(doc, path...)
	return Number(v)
}

// metricOf reads a metric the way QMTL's evaluate-time enrichment does: a
// top-level key first, else the same key inside block (first non-null wins, CD9).
func metricOf(doc map[string]any, block, key string) (float64, bool) {
	if x, ok := Number(doc[key]); ok {
		return x, true
	}
	return numberAt(doc, block, key)
}

// filler writes derived values into a document it owns, recording each path.
type filler struct {
	doc    map[string]any
	filled []string
}

// container returns the object at path, creating it (and replacing any
// non-object value in the way) when create is true.
func (f *filler) container(path []string, create bool) map[string]any {
	cur := f.doc
	for _, seg := range path {
		next, ok := cur[seg].(map[string]any)
		if !ok {
			if !create {
				return nil
			}
			next = make(map[string]any, 8)
			cur[seg] = next
		}
		cur = next
	}
	return cur
}

// empty reports whether the numeric slot at path is null: missing, JSON null,
// or any value that is not a finite number (CD4 treats those as absent).
func (f *filler) empty(path ...string) bool {
	v, ok := lookup(f.doc, path...)
	if !ok || v == nil {
		return true
	}
	_, isNum := Number(v)
	return !isNum
}

// setValue writes v at path and records the path.
func (f *filler) setValue(v any, path ...string) {
	c := f.container(path[:len(path)-1], true)
	c[path[len(path)-1]] = v
	f.filled = append(f.filled, strings.Join(path, "."))
}

// num fills the numeric slot at path with x when the slot is null and x is
// finite, and reports whether it wrote.
func (f *filler) num(x float64, ok bool, path ...string) bool {
	if !ok || math.IsNaN(x) || math.IsInf(x, 0) || !f.empty(path...) {
		return false
	}
	f.setValue(x, path...)
	return true
}

// result packages the document and the recorded paths.
func (f *filler) result() Result {
	return Result{Metrics: f.doc, Derivations: f.filled}
}
