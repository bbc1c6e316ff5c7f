package metrics

import (
	"hash/maphash"
	"math"
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
// A table with buckets by length and last byte holds at most
// mixedBuckets × maxChain (512) names, so its offsets and positions fit 16
// bits whenever its names do (64 KiB): its entries are 16-byte records
// (offset, end and next position as uint16, the value) and the heads of its
// 64 buckets are an array in the header. Three allocations (header, names,
// records), 1.8 KB for BenchmarkEvaluate's document, where 32-bit entries
// and links in slices of their own took four and 2.3 KB: BenchmarkFlatten
// (-cpu 1, medians of 11 interleaved) 1.96 → 1.70 µs, 18.7k → 16.7k
// instructions. Records of 14 bytes (the value as four uint16) saved
// 0.1 KB but were slower than the 32-bit entries (+3 %: the value loaded
// and stored unaligned); heads, records and names in one byte buffer (two
// allocations, read with encoding/binary) took 3k more instructions a run
// of BenchmarkEvaluateWithFlatten and were no faster. A table that does not
// fit, or whose buckets are hashed, keeps 32-bit entries and links in a
// hashedTable.
//
// A nil *Flat is an empty table. A Flat is never modified once built (the
// methods that add or remove names return a copy), so it is safe for
// concurrent use.
type Flat struct {
	names string // the registered names, back to back (with other text)
	n     int    // registered names

	// With buckets by length and last byte: 1 + position in recs of the
	// first record of each bucket, 0 = none.
	heads [mixedBuckets]uint16
	recs  []record // in registration order

	hashed *hashedTable // the table when its buckets are hashed (then heads and recs are unused)
}

// record is one registered name, names[off:end], of a table with buckets
// by length and last byte, and its value.
type record struct {
	off, end uint16
	next     uint16 // 1 + position of the next record of its bucket, 0 = none
	value    float64
}

// hashedTable is a table with hashed buckets: hash/maphash under a seed
// drawn for it, at least a bucket per name.
type hashedTable struct {
	seed  maphash.Seed
	ents  []flatEntry // in registration order
	heads []uint32    // bucket → 1 + position in ents of its first entry, 0 = none
	next  []uint32    // parallel to ents: 1 + position of the next entry of its bucket, 0 = none
}

// flatEntry is one registered name, names[off:end], and its value: the
// candidates of a table, and the entries of a hashedTable.
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
	if f == nil {
		return 0, false
	}
	if f.hashed != nil {
		return f.hashed.lookup(f.names, name)
	}
	names, recs := f.names, f.recs
	for j := f.heads[mixedBucket(name)]; j != 0; {
		r := &recs[j-1]
		if names[r.off:r.end] == name {
			return r.value, true
		}
		j = r.next
	}
	return 0, false
}

// LookupBytes is Lookup for a name held in a byte slice, which it does not
// retain; it saves converting a name built in a buffer to a string.
func (f *Flat) LookupBytes(name []byte) (float64, bool) {
	if f == nil {
		return 0, false
	}
	if f.hashed != nil {
		return f.hashed.lookupBytes(f.names, name)
	}
	names, recs := f.names, f.recs
	for j := f.heads[mixedBucket(name)]; j != 0; {
		r := &recs[j-1]
		if names[r.off:r.end] == string(name) {
			return r.value, true
		}
		j = r.next
	}
	return 0, false
}

// lookup is Flat.Lookup in a hashed table over names. It is kept out of
// line: inlined, it made Lookup's frame larger, with the registers of the
// loop over a bucket by length and last byte spilled around its
// comparisons.
//
//go:noinline
func (h *hashedTable) lookup(names, name string) (float64, bool) {
	return find(h, names, maphash.String(h.seed, name), name)
}

// lookupBytes is lookup for a name held in a byte slice.
//
//go:noinline
func (h *hashedTable) lookupBytes(names string, name []byte) (float64, bool) {
	return find(h, names, maphash.Bytes(h.seed, name), name)
}

// find looks name, whose hash is hash, up in a hashed table over names.
func find[S string | []byte](h *hashedTable, names string, hash uint64, name S) (float64, bool) {
	for j := h.heads[hash&uint64(len(h.heads)-1)]; j != 0; j = h.next[j-1] {
		if e := &h.ents[j-1]; names[e.off:e.end] == string(name) {
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
	return f.n
}

// entry returns registration i of f, from 0.
func (f *Flat) entry(i int) flatEntry {
	if f.hashed != nil {
		return f.hashed.ents[i]
	}
	r := &f.recs[i]
	return flatEntry{uint32(r.off), uint32(r.end), r.value}
}

// Names returns the names of the table in lexicographic order, as a new
// slice.
func (f *Flat) Names() []string {
	out := make([]string, f.Len())
	for i := range out {
		e := f.entry(i)
		out[i] = f.names[e.off:e.end]
	}
	slices.Sort(out)
	return out
}

// Map returns the table as a new map from name to value.
func (f *Flat) Map() map[string]float64 {
	out := make(map[string]float64, f.Len())
	for i := range f.Len() {
		e := f.entry(i)
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
	for i := range f.Len() {
		cands = append(cands, f.entry(i))
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
	for i := range f.Len() {
		if e := f.entry(i); f.names[e.off:e.end] != name {
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
// names or the names do not fit 16-bit offsets.
func tableOf(names string, cands []flatEntry) *Flat {
	if t, ok := mixedTable(names, cands); ok {
		return t
	}
	return hashedTableOf(names, cands)
}

// mixedTable builds the table of tableOf with buckets by length and last
// byte; it gives up, returning false, when a bucket would hold more than
// maxChain names or an offset would not fit 16 bits.
func mixedTable(names string, cands []flatEntry) (*Flat, bool) {
	// A record per candidate: a repeated name leaves one unused at the end.
	// More than math.MaxUint16 candidates are repetitions, or names beyond
	// what the buckets hold.
	if len(names) > math.MaxUint16 || len(cands) > math.MaxUint16 {
		return nil, false
	}
	t := &Flat{names: names}
	recs := make([]record, len(cands))
	k := 0 // registered names
	for i := range cands {
		c := &cands[i]
		// The name is compared with those of its length only.
		n, b := c.end-c.off, mixedBucket(names[c.off:c.end])
		j, chain := t.heads[b], 0
		for ; j != 0; j = recs[j-1].next {
			if r := &recs[j-1]; uint32(r.end-r.off) == n && names[r.off:r.end] == names[c.off:c.end] {
				break
			}
			chain++
		}
		switch {
		case j != 0: // registered already
			continue
		case chain == maxChain:
			return nil, false
		}
		recs[k] = record{
			off:   uint16(c.off),
			end:   uint16(c.end),
			next:  t.heads[b],
			value: c.value,
		}
		k++
		t.heads[b] = uint16(k)
	}
	t.recs, t.n = recs[:k], k
	return t, true
}

// hashedTableOf builds the table of tableOf with hashed buckets.
func hashedTableOf(names string, cands []flatEntry) *Flat {
	buckets := 8
	for buckets < len(cands) {
		buckets *= 2
	}
	links := make([]uint32, buckets+len(cands))
	h := &hashedTable{
		seed:  maphash.MakeSeed(),
		ents:  make([]flatEntry, len(cands)),
		heads: links[:buckets:buckets],
		next:  links[buckets:],
	}
	ents, heads, next := h.ents, h.heads, h.next
	k := 0 // registered names
	for i := range cands {
		c := &cands[i]
		name := names[c.off:c.end]
		b := maphash.String(h.seed, name) & uint64(buckets-1)
		j := heads[b]
		for ; j != 0; j = next[j-1] {
			if e := &ents[j-1]; names[e.off:e.end] == name {
				break
			}
		}
		if j != 0 { // registered already
			continue
		}
		ents[k] = *c
		next[k] = heads[b]
		k++
		heads[b] = uint32(k)
	}
	h.ents = ents[:k]
	return &Flat{names: names, n: k, hashed: h}
}
