package projections

import (
	"encoding/json"
	"sort"
)

// Dump returns every value, set and checkpoint of s as sorted lines, so that
// tests can compare two stores exactly.
func Dump(s *MemoryStore) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	s.eachValue(func(k string, v *stored, _ coldRef, _ bool) {
		raw, err := v.bytes()
		if err != nil {
			raw = []byte("encoding error: " + err.Error())
		}
		out = append(out, "value "+k+" = "+string(raw))
	})
	for name, set := range s.sets {
		for _, m := range set.all() {
			out = append(out, "member "+name+" : "+m)
		}
	}
	for name, cp := range s.checkpoints {
		out = append(out, "checkpoint "+name+" = "+pad(cp))
	}
	sort.Strings(out)
	return out
}

// StoredValue is one value of a [MemoryStore] as [StoredValues] sees it.
type StoredValue struct {
	// Entry identifies the committed value; a commit replaces it.
	Entry any
	// GoValue is set for a value committed as a Go value rather than bytes
	// and not packed since.
	GoValue bool
	// Packed is set for a Go value the store packed.
	Packed bool
	// Fresh is the JSON of the value, encoded by this call rather than
	// taken from the store's cached encoding.
	Fresh string
}

// StoredValues encodes every value of s afresh, so that tests can check
// that a committed value never changes, whatever folds and readers do.
func StoredValues(s *MemoryStore) map[string]StoredValue {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]StoredValue, len(s.values))
	s.eachValue(func(k string, v *stored, ref coldRef, packed bool) {
		var entry any = v
		if packed {
			entry = ref // a packed value is new at every call: its place identifies it
		}
		if v.obj == nil && v.unpack == nil {
			out[k] = StoredValue{Entry: entry, Fresh: string(v.raw)}
			return
		}
		o, err := v.object()
		if err != nil {
			out[k] = StoredValue{Entry: entry, Fresh: "unpacking error: " + err.Error()}
			return
		}
		b, err := json.Marshal(o) // not v.raw: a reader may be caching it
		if err != nil {
			b = []byte("encoding error: " + err.Error())
		}
		out[k] = StoredValue{Entry: entry, GoValue: v.obj != nil, Packed: packed, Fresh: string(b)}
	})
	return out
}

// NewMemoryStoreHot returns an empty store that keeps hot packable values
// unpacked and packs the others, so that tests can make it pack early.
func NewMemoryStoreHot(hot int) *MemoryStore { return newMemoryStore(hot, nil) }

// NewMemoryStoreClashing is [NewMemoryStoreHot] with an index hash that
// gives most keys the hash of another, so that tests reach the clash path.
func NewMemoryStoreClashing(hot int) *MemoryStore {
	return newMemoryStore(hot, func(k string) uint64 { return uint64(len(k) % 3) })
}
