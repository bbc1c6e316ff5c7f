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
// registration order in one slice, and chains of entries by bucket find
// them.
//
// A name's bucket is, at first, a mix of its length and its last byte: a few
// instructions, where hashing a name with hash/maphash took some 70, and a
// run of the rules places every name of its table and every name it looks
// up, about 90 names. Names can be chosen to share such a bucket, so a table
// that would put more than maxChain names in one is built again with hashed
// buckets: hash/maphash under a seed drawn for the table, a bucket for every
// name, and no way to choose names that collide. A derived document stays
// far from maxChain. Against an open-addressing index hashed with maphash,
// as this table had before: BenchmarkFlatten (validation/rules) 2.44 →
// 1.93 µs, BenchmarkEvaluateWithFlatten 5.88 → 4.93 µs, 45.7k → 41.0k
// instructions (the time falls further than the instruction count). A
// hand-written wyhash in place of maphash had saved 2–3 % of the
// instructions of a run, and was not kept.
//
// Four allocations whatever the number of names, only the header holding
// pointers.
//
// A nil *Flat is an empty table. A Flat is never modified once built (the
// methods that add or remove names return a copy), so it is safe for
// concurrent use.
type Flat struct {
	names string      // the registered names, back to back (with other text)
	ents  []flatEntry // in registration order
	heads []uint32    // bucket → 1 + position in ents of its first entry, 0 = none
	next  []uint32    // parallel to ents: 1 + position of the next entry of its bucket, 0 = none

	hashed bool         // buckets by hash (hashBucket), else by length and last byte (mixedBucket)
	seed   maphash.Seed // of the hash, drawn for a table with hashed buckets
}

// flatEntry is one registered name, names[off:end], and its value. The
// offsets are 32-bit, as the chains' positions are, which keeps an entry at
// 16 bytes.
type flatEntry struct {
	off, end uint32
	value    float64
}

const (
	// mixedBuckets is the number of buckets by length and last byte: the
	// 54 names of BenchmarkEvaluate's document put at most 4 in one, and
	// its 37 look-ups compare 31 names of their length (26 of them found).
	mixedBuckets = 64
	// maxChain is the most names a bucket by length and last byte may
	// hold, so the most a look-up compares a name with.
	maxChain = 8
)

// hashBucket is the bucket of name in a table with hashed buckets.
func (f *Flat) hashBucket(name string) uint64 {
	return maphash.String(f.seed, name) & uint64(len(f.heads)-1)
}

// hashBucketBytes is hashBucket for a name held in a byte slice.
func (f *Flat) hashBucketBytes(name []byte) uint64 {
	return maphash.Bytes(f.seed, name) & uint64(len(f.heads)-1)
}

// mixedBucket is the bucket of name by its length and last byte, in a
// table without hashed buckets. It is inlined.
func mixedBucket[S string | []byte](name S) uint64 {
	n := uint64(len(name))
	if n == 0 {
		return 0
	}
	return (n + 7*uint64(name[n-1])) % mixedBuckets
}

// Lookup returns the value registered under name and whether it is present.
func (f *Flat) Lookup(name string) (float64, bool) {
	if f == nil || len(f.ents) == 0 {
		return 0, false
	}
	b := mixedBucket(name)
	if f.hashed {
		b = f.hashBucket(name)
	}
	names, ents, next := f.names, f.ents, f.next
	for j := f.heads[b]; j != 0; j = next[j-1] {
		if e := &ents[j-1]; names[e.off:e.end] == name {
			return e.value, true
		}
	}
	return 0, false
}

// LookupBytes is Lookup for a name held in a byte slice, which it does not
// retain; it saves converting a name built in a buffer to a string.
func (f *Flat) LookupBytes(name []byte) (float64, bool) {
	if f == nil || len(f.ents) == 0 {
		return 0, false
	}
	b := mixedBucket(name)
	if f.hashed {
		b = f.hashBucketBytes(name)
	}
	names, ents, next := f.names, f.ents, f.next
	for j := f.heads[b]; j != 0; j = next[j-1] {
		if e := &ents[j-1]; names[e.off:e.end] == string(name) {
			return e.value, true
		}
	}
	return 0, false
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
	cands := make([]flatEntry, 0, f.Len()+len(ms))
	if f != nil {
		cands = append(cands, f.ents...)
	}
	off := uint32(len(f.text()))
	for _, m := range ms {
		cands = append(cands, flatEntry{off, off + uint32(len(m.Name)), m.Value})
		off += uint32(len(m.Name))
	}
	return tableOf(b.String(), cands)
}

// Without returns a copy of f without name (the same table when f lacks it).
// f is not modified.
func (f *Flat) Without(name string) *Flat {
	if _, ok := f.Lookup(name); !ok {
		return f
	}
	cands := make([]flatEntry, 0, f.Len()-1)
	for _, e := range f.ents {
		if f.names[e.off:e.end] != name {
			cands = append(cands, e)
		}
	}
	return tableOf(f.names, cands)
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

// tableOf returns the table over names that registers cands (entries over
// names) in order, the first registration of a name winning. Its buckets are
// by length and last byte unless one of them would hold more than maxChain
// names.
func tableOf(names string, cands []flatEntry) *Flat {
	if t, ok := fill(names, cands, false); ok {
		return t
	}
	t, _ := fill(names, cands, true)
	return t
}

// fill builds the table of tableOf with hashed buckets or with buckets by
// length and last byte; it gives up, returning false, when a bucket by
// length and last byte would hold more than maxChain names.
func fill(names string, cands []flatEntry, hashed bool) (*Flat, bool) {
	buckets := mixedBuckets
	if hashed {
		buckets = 8
		for buckets < len(cands) {
			buckets *= 2
		}
	}
	links := make([]uint32, buckets+len(cands))
	t := &Flat{
		names:  names,
		ents:   make([]flatEntry, len(cands)),
		heads:  links[:buckets:buckets],
		next:   links[buckets:],
		hashed: hashed,
	}
	if hashed {
		t.seed = maphash.MakeSeed()
	}
	ents, heads, next := t.ents, t.heads, t.next
	k := 0 // registered names
	for i := range cands {
		c := &cands[i]
		name := names[c.off:c.end]
		b := mixedBucket(name)
		if hashed {
			b = t.hashBucket(name)
		}
		j, chain := heads[b], 0
		for ; j != 0; j = next[j-1] {
			if e := &ents[j-1]; names[e.off:e.end] == name {
				break
			}
			chain++
		}
		switch {
		case j != 0: // registered already
			continue
		case chain == maxChain && !hashed:
			return nil, false
		}
		ents[k] = *c
		next[k] = heads[b]
		k++
		heads[b] = uint32(k)
	}
	t.ents = ents[:k]
	return t, true
}
