package metrics

import (
	"bytes"
	"hash/maphash"
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
	// The walk records every leaf once, in traversal order, with its dotted
	// path (or, at the top level, its name) written into one buffer, which
	// becomes the table's names: a leaf name is the end of its dotted path.
	// The table then registers the leaves in that order. The buffers start
	// on the stack and cover a derived document; larger ones spill to the
	// heap.
	var (
		leaves [64]leaf
		kids   [16]member
		paths  [1024]byte
		prefix [128]byte
		blocks [len(blockOrder)]any
	)
	f := flattener{leaves: leaves[:0], kids: kids[:0], paths: paths[:0], prefix: prefix[:0]}
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
	return f.flat()
}

// flattener carries the recorded leaves and the scratch buffers through the
// walk. Its methods take and return it by value: stored through a pointer,
// the slices would leave the stack.
type flattener struct {
	leaves []leaf   // in traversal order
	kids   []member // child objects of the objects being walked, a stack
	paths  []byte   // the dotted paths of leaves, back to back
	prefix []byte   // the dotted path of the object being walked
}

// leaf is one numeric leaf: registered under its dotted path
// paths[start:end] and its name paths[name:end], which are the same for a
// top-level number (it has no dotted path).
type leaf struct {
	start, name, end int
	value            float64
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
		start := len(f.paths)
		f.paths = append(f.paths, k...)
		f.leaves = append(f.leaves, leaf{start: start, name: start, end: len(f.paths), value: x})
	}
	return f
}

// walk records the numeric leaves of obj, whose dotted path is f.prefix, in
// key order, then descends into its child objects in key order.
//
// The leaves are sorted only when one of their keys contains a dot: they
// are registered together, and without a dot their names (k and prefix.k
// for every leaf k) are all distinct, so their order cannot decide which
// registration comes first.
func (f flattener) walk(obj map[string]any) flattener {
	first, firstKid := len(f.leaves), len(f.kids)
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
		start := len(f.paths)
		f.paths = append(append(f.paths, f.prefix...), '.')
		name := len(f.paths)
		f.paths = append(f.paths, k...)
		f.leaves = append(f.leaves, leaf{start: start, name: name, end: len(f.paths), value: x})
	}
	if dotted {
		paths := f.paths
		slices.SortFunc(f.leaves[first:], func(a, b leaf) int {
			return bytes.Compare(paths[a.name:a.end], paths[b.name:b.end])
		})
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

// flat builds the table from the recorded leaves, registering each under
// its dotted path, then its name. The loop is [Flat.add] written out, with
// the table's parts in local variables: through add, which spills them
// around the hash call, a registration took about 30 more instructions (of
// some 100, hash included).
func (f flattener) flat() *Flat {
	n := 0
	for i := range f.leaves {
		n++
		if f.leaves[i].start != f.leaves[i].name {
			n++
		}
	}
	t := makeFlat(string(f.paths), n)
	names, ents, index, seed := t.names, t.ents[:n], t.index, t.seed
	mask := uint64(len(index) - 1)
	k := 0 // registered names
	for i := range f.leaves {
		l := &f.leaves[i]
		for off := l.start; ; off = l.name {
			name := names[off:l.end]
			j := maphash.String(seed, name) & mask
			for ; index[j] != 0; j = (j + 1) & mask {
				if e := &ents[index[j]-1]; names[e.off:e.end] == name {
					goto registered
				}
			}
			ents[k] = flatEntry{off, l.end, l.value}
			k++
			index[j] = uint32(k)
		registered:
			if off == l.name {
				break
			}
		}
	}
	t.ents = ents[:k]
	return &t
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
