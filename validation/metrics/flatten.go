package metrics

import (
	"bytes"
	"math"
	"slices"
	"strings"
)

// blockOrder is the normative traversal order of the top-level metric blocks
// (validation-core §5). Any other top-level key follows in lexicographic order.
var blockOrder = [...]string{"returns", "sample", "risk", "robustness", "diagnostics", "benchmark", "stress"}

// Flatten builds the [Flat] look-up table of a metrics document (a decoded JSON
// object: nested map[string]any with float64, json.Number, int or int64 leaves).
//
// Traversal is deterministic and independent of key order in the input: the
// top-level blocks in the order returns, sample, risk, robustness, diagnostics,
// benchmark, stress, then other keys lexicographically; inside every object its
// numeric leaves first, in key order, then its child objects, in key order. The
// first registration of a name wins. Non-finite numbers, booleans, strings,
// nulls and arrays are skipped (CD4).
func Flatten(doc map[string]any) *Flat {
	// The walk records every registration in traversal order, a leaf's
	// dotted path then its name, with the dotted path (or, at the top level,
	// the name) written into one buffer, which becomes the table's names: a
	// leaf name is the end of its dotted path. The table then registers them
	// in that order. The buffers start on the stack and cover a derived
	// document; larger ones spill to the heap.
	var (
		cands  [128]flatEntry
		kids   [16]member
		paths  [1024]byte
		prefix [128]byte
		blocks [len(blockOrder)]any
	)
	f := flattener{cands: cands[:0], kids: kids[:0], paths: paths[:0], prefix: prefix[:0]}
	var others []member
	for k, v := range doc {
		if i := blockIndex(k); i >= 0 {
			blocks[i] = v
		} else {
			others = append(others, member{k, v})
		}
	}
	for i, v := range blocks {
		if v != nil {
			f = f.top(blockOrder[i], v)
		}
	}
	sortMembers(others)
	for _, m := range others {
		f = f.top(m.key, m.value)
	}
	return tableOf(string(f.paths), f.cands)
}

// flattener carries the recorded registrations and the scratch buffers
// through the walk. Its methods take and return it by value: stored through a pointer,
// the slices would leave the stack.
type flattener struct {
	cands  []flatEntry // registrations over paths, in traversal order
	kids   []member    // child objects of the objects being walked, a stack
	paths  []byte      // the dotted paths of leaves, back to back
	prefix []byte      // the dotted path of the object being walked
}

// member is one key of an object and its value.
type member struct {
	key   string
	value any
}

// top visits one top-level key: a number registers under its own name, an
// object is walked.
func (f flattener) top(k string, v any) flattener {
	if obj, ok := v.(map[string]any); ok {
		f.prefix = append(f.prefix[:0], k...)
		return f.walk(obj)
	}
	if x, ok := Number(v); ok {
		start := uint32(len(f.paths))
		f.paths = append(f.paths, k...)
		f.cands = append(f.cands, flatEntry{start, uint32(len(f.paths)), x})
	}
	return f
}

// walk records the numeric leaves of obj, whose dotted path is f.prefix, in
// key order, then descends into its child objects in key order. A leaf is
// two registrations: its dotted path, then its name.
//
// The leaves are sorted only when one of their keys contains a dot: they
// are registered together, and without a dot their names (k and prefix.k
// for every leaf k) are all distinct, so their order cannot decide which
// registration comes first.
func (f flattener) walk(obj map[string]any) flattener {
	first, firstKid := len(f.cands), len(f.kids)
	dotted := false
	for k, v := range obj {
		var x float64
		switch n := v.(type) {
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				continue
			}
			x = n
		case map[string]any:
			f.kids = append(f.kids, member{k, n})
			continue
		default:
			var ok bool
			if x, ok = Number(v); !ok {
				continue
			}
		}
		dotted = dotted || strings.IndexByte(k, '.') >= 0
		start := uint32(len(f.paths))
		f.paths = append(append(f.paths, f.prefix...), '.')
		name := uint32(len(f.paths))
		f.paths = append(f.paths, k...)
		end := uint32(len(f.paths))
		f.cands = append(f.cands, flatEntry{start, end, x}, flatEntry{name, end, x})
	}
	if dotted {
		sortLeaves(f.cands[first:], f.paths)
	}
	sortMembers(f.kids[firstKid:])
	base := len(f.prefix)
	// f.kids grows and shrinks below each child: index it afresh.
	for i := firstKid; i < len(f.kids); i++ {
		kid := f.kids[i]
		f.prefix = append(append(f.prefix[:base], '.'), kid.key...)
		f = f.walk(kid.value.(map[string]any))
	}
	f.prefix = f.prefix[:base]
	f.kids = f.kids[:firstKid]
	return f
}

// sortLeaves sorts the leaves of one object by name: cands holds them as
// pairs of registrations, the dotted path then the name, over paths. Only
// objects with a dotted key get here, so the pairs are copied out to sort
// them rather than sorted in place.
func sortLeaves(cands []flatEntry, paths []byte) {
	pairs := make([][2]flatEntry, len(cands)/2)
	for i := range pairs {
		pairs[i] = [2]flatEntry{cands[2*i], cands[2*i+1]}
	}
	slices.SortFunc(pairs, func(a, b [2]flatEntry) int {
		return bytes.Compare(paths[a[1].off:a[1].end], paths[b[1].off:b[1].end])
	})
	for i, p := range pairs {
		cands[2*i], cands[2*i+1] = p[0], p[1]
	}
}

// sortMembers sorts ms by key.
func sortMembers(ms []member) {
	if len(ms) > 1 {
		slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.key, b.key) })
	}
}

// blockIndex returns the position of k in blockOrder, or -1.
func blockIndex(k string) int {
	switch k {
	case "returns":
		return 0
	case "sample":
		return 1
	case "risk":
		return 2
	case "robustness":
		return 3
	case "diagnostics":
		return 4
	case "benchmark":
		return 5
	case "stress":
		return 6
	}
	return -1
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
