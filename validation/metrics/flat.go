package metrics

import (
	"hash/maphash"
	"slices"
	"strings"
)

// Flat is the look-up table rules evaluate against: every finite numeric leaf
// of a metrics document registered under its dotted path and under its leaf
// name, the first registration of a name winning (validation-core §5). A name
// is "present" when [Flat.Lookup] finds it.
//
// It is a purpose-built table rather than a map[string]float64 because a run
// builds one for every evaluation: filling a Go map with the ~54 names of a
// derived document was about half of Flatten (one map assignment per name,
// and making the map). The names live in one string (the dotted paths the
// walk writes anyway: a leaf name is the end of its path), the entries in
// registration order in one slice, and an open-addressing index (linear
// probing over a power of two of slots, at most half full) finds them by
// hash/maphash under a seed drawn for the table, so names cannot be chosen
// to collide. Four allocations whatever the number of names, only the header
// holding pointers. BenchmarkFlatten (validation/rules): 2.8 → 2.4 µs, 5 → 4
// allocations. A hand-written wyhash in place of maphash saved another 3 % of
// the instructions of a run and was not kept.
//
// A nil *Flat is an empty table. A Flat is never modified once built (the
// methods that add or remove names return a copy), so it is safe for
// concurrent use.
type Flat struct {
	names string       // the registered names, back to back (with other text)
	ents  []flatEntry  // in registration order
	index []uint32     // slot → 1 + position in ents, 0 = empty; len is a power of two
	seed  maphash.Seed // of the index's hash, drawn for every table
}

// flatEntry is one registered name, names[off:end], and its value.
type flatEntry struct {
	off, end int
	value    float64
}

// Lookup returns the value registered under name and whether it is present.
func (f *Flat) Lookup(name string) (float64, bool) {
	if f == nil || len(f.ents) == 0 {
		return 0, false
	}
	mask := uint64(len(f.index) - 1)
	for i := maphash.String(f.seed, name) & mask; ; i = (i + 1) & mask {
		j := f.index[i]
		if j == 0 {
			return 0, false
		}
		if e := &f.ents[j-1]; f.names[e.off:e.end] == name {
			return e.value, true
		}
	}
}

// LookupBytes is Lookup for a name held in a byte slice, which it does not
// retain; it saves converting a name built in a buffer to a string.
func (f *Flat) LookupBytes(name []byte) (float64, bool) {
	if f == nil || len(f.ents) == 0 {
		return 0, false
	}
	mask := uint64(len(f.index) - 1)
	for i := maphash.Bytes(f.seed, name) & mask; ; i = (i + 1) & mask {
		j := f.index[i]
		if j == 0 {
			return 0, false
		}
		if e := &f.ents[j-1]; f.names[e.off:e.end] == string(name) {
			return e.value, true
		}
	}
}

// Len returns the number of names in the table.
func (f *Flat) Len() int {
	if f == nil {
		return 0
	}
	return len(f.ents)
}

// Names returns the names of the table in lexicographic order, as a new
// slice.
func (f *Flat) Names() []string {
	out := make([]string, f.Len())
	for i := range out {
		e := &f.ents[i]
		out[i] = f.names[e.off:e.end]
	}
	slices.Sort(out)
	return out
}

// Map returns the table as a new map from name to value.
func (f *Flat) Map() map[string]float64 {
	out := make(map[string]float64, f.Len())
	for i := range f.Len() {
		e := &f.ents[i]
		out[f.names[e.off:e.end]] = e.value
	}
	return out
}

// Metric is a name and a value, to add to a [Flat] with [Flat.With].
type Metric struct {
	// Name is the name to register.
	Name string
	// Value is its value.
	Value float64
}

// With returns a copy of f that registers, in order, each of ms whose name it
// does not hold yet: a name already present, or repeated in ms, keeps its
// first value. f is not modified.
func (f *Flat) With(ms ...Metric) *Flat {
	size := 0
	for _, m := range ms {
		size += len(m.Name)
	}
	var b strings.Builder
	b.Grow(len(f.text()) + size)
	b.WriteString(f.text())
	for _, m := range ms {
		b.WriteString(m.Name)
	}
	out := newFlat(b.String(), f.Len()+len(ms))
	for i := range f.Len() {
		e := f.ents[i]
		out.add(e.off, e.end, e.value)
	}
	off := len(f.text())
	for _, m := range ms {
		out.add(off, off+len(m.Name), m.Value)
		off += len(m.Name)
	}
	return out
}

// Without returns a copy of f without name (the same table when f lacks it).
// f is not modified.
func (f *Flat) Without(name string) *Flat {
	if _, ok := f.Lookup(name); !ok {
		return f
	}
	out := newFlat(f.names, f.Len()-1)
	for _, e := range f.ents {
		if f.names[e.off:e.end] != name {
			out.add(e.off, e.end, e.value)
		}
	}
	return out
}

// FlatOf returns a table holding the names and values of m, registered in
// lexicographic order (they are distinct, so the order decides nothing).
// It builds tables for tests and for callers that have no document.
func FlatOf(m map[string]float64) *Flat {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ms := make([]Metric, len(keys))
	for i, k := range keys {
		ms[i] = Metric{k, m[k]}
	}
	var empty *Flat
	return empty.With(ms...)
}

// text returns the string the names of f point into.
func (f *Flat) text() string {
	if f == nil {
		return ""
	}
	return f.names
}

// newFlat returns an empty table over names with room for n names.
func newFlat(names string, n int) *Flat {
	t := makeFlat(names, n)
	return &t
}

// makeFlat returns an empty table over names with room for n names, as a
// value: a table filled on the stack before it is moved to the heap is
// filled without write barriers.
func makeFlat(names string, n int) Flat {
	slots := 8
	for slots < 2*n {
		slots *= 2
	}
	return Flat{
		names: names,
		ents:  make([]flatEntry, 0, n),
		index: make([]uint32, slots),
		seed:  maphash.MakeSeed(),
	}
}

// add registers names[off:end] with value x unless the name is present. The
// table must have room for it (see makeFlat). Flatten has its own copy of
// the loop.
func (f *Flat) add(off, end int, x float64) {
	name := f.names[off:end]
	mask := uint64(len(f.index) - 1)
	i := maphash.String(f.seed, name) & mask
	for ; f.index[i] != 0; i = (i + 1) & mask {
		if e := &f.ents[f.index[i]-1]; f.names[e.off:e.end] == name {
			return
		}
	}
	f.ents = append(f.ents, flatEntry{off, end, x})
	f.index[i] = uint32(len(f.ents))
}
