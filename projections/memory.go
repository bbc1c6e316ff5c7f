package projections

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/worldval/worldval/internal/hashindex"
)

// MemoryStore is the in-memory [Store] of the embedded profile (read models
// rebuilt from the event store at start and kept in the process) and of
// [AsOf]. It is safe for concurrent use: readers share a read lock, and a
// commit holds the write lock while it applies a whole batch, so no reader
// sees part of one. The zero MemoryStore is not usable; call
// [NewMemoryStore].
//
// The projections of this package commit their values to a MemoryStore as
// Go values, not JSON: the next batch takes a copy of the value instead of
// decoding it, and [MemoryStore.Get] encodes a value only when a reader
// first asks for it (the bytes are those a commit of the encoded value
// would have stored).
//
// A run's value is a web of small objects that every garbage collection
// has to trace, and the store keeps every run the service ever evaluated.
// So a value of a type that can be packed ([packable]: the runs, run
// histories and override records of the run projections) stays a Go value
// only while it is among the DefaultHotValues values committed last; after
// that, unless a later commit replaced it, it is packed, with its key, into
// a large shared buffer (a slab), and found again through an index keyed by
// a hash of the key: no pointer per packed value is left for the collector
// to follow. It is unpacked when read. Nothing is lost or changed by
// packing: a test checks that every read gives the same answer.
type MemoryStore struct {
	mu          sync.RWMutex
	values      map[string]*stored
	sets        map[string]*sortedSet
	checkpoints map[string]uint64

	// recent holds the packable values committed last, oldest at next
	// once it is full: the value a commit puts at next is packed.
	recent []recentValue
	next   int
	// cold indexes the packed values by a hash of their key, in a map
	// without pointers, which the collector does not look into; the key
	// is read back from the packed record. A key is in values or packed,
	// never both.
	cold *hashindex.Index[coldRef]
	// slabs are where values are packed, with their keys: each filled
	// once and never rewritten; cur is the one being filled (-1: none).
	// slabLive counts the bytes of each slab's records still in the
	// index; a slab that falls under a quarter live is compacted (its
	// live records move to the current slab) and its index goes to
	// freeSlabs for reuse. slabBytes is the size of a new slab. scratch
	// is reused to pack into.
	slabs     [][]byte
	slabLive  []int
	freeSlabs []uint32
	cur       int
	slabBytes int
	scratch   []byte
}

// coldRef locates a packed value: its record in a slab, n bytes at off,
// holds the length of the rest, the length of its key, the key, the kind of
// value and the packed value.
type coldRef struct {
	slab, off, n uint32
}

// DefaultHotValues is how many packable values a [MemoryStore] keeps as Go
// values: the runs folded most recently, which the next events (the
// verdict, the extended layers, within milliseconds) and the readers
// waiting for them touch; a second of runs at 1,000 submissions/s. Older
// ones cost an unpacking (microseconds) when a late event or a reader
// comes.
const DefaultHotValues = 1024

// slabSize is the size of the buffers values are packed into. A slab stays
// alive while any value unpacked from it does; runs that change after they
// were packed (a late override, an extended-layer pass) leave their old
// bytes behind in it until it is compacted.
const slabSize = 1 << 20

// recentValue is a value committed under key.
type recentValue struct {
	key string
	v   *stored
}

var (
	_ Store      = (*MemoryStore)(nil)
	_ valueStore = (*MemoryStore)(nil)
)

// packable is implemented by the value types a [MemoryStore] packs once
// they are cold: appendPacked appends the value's packed form, and
// packKind names the type in a packed record, whose unpacker ([unpackerOf])
// reads it back into an equal value (which may share the packed bytes; they
// never change).
type packable interface {
	appendPacked(dst []byte) []byte
	packKind() byte
}

// Kinds of packed values.
const (
	packedRunState byte = iota + 1
	packedRunHistory
	packedOverrideRun
)

// unpackerOf returns the unpacker of a packed record's kind; for a kind this
// build does not know (a bug: only this process packs) it returns one that
// fails.
func unpackerOf(kind byte) func([]byte) (any, error) {
	switch kind {
	case packedRunState:
		return unpackRunState
	case packedRunHistory:
		return unpackRunHistory
	case packedOverrideRun:
		return unpackOverrideRun
	}
	return func([]byte) (any, error) { return nil, fmt.Errorf("kind %d: %w", kind, errPacked) }
}

// stored is one value of a [MemoryStore]: bytes committed as such, the Go
// value a projection committed, or that value packed. The JSON of a Go or
// packed value is encoded the first time a reader asks for bytes. Nothing
// in it changes after the commit but that cached encoding.
type stored struct {
	obj    any // the committed Go value; nil when raw was committed or obj was packed
	packed []byte
	unpack func([]byte) (any, error) // reads packed; nil unless packed
	once   sync.Once
	raw    []byte
	err    error // of encoding obj
}

// object returns the Go value: the committed one, or a new unpacking of the
// packed one; nil for a value committed as bytes.
func (v *stored) object() (any, error) {
	if v.unpack != nil {
		o, err := v.unpack(v.packed)
		if err != nil {
			return nil, fmt.Errorf("unpack: %w", err)
		}
		return o, nil
	}
	return v.obj, nil
}

// bytes returns the JSON of the value, encoding it on the first call. It is
// safe for concurrent use.
func (v *stored) bytes() ([]byte, error) {
	if v.obj == nil && v.unpack == nil {
		return v.raw, nil
	}
	v.once.Do(func() {
		var o any
		if o, v.err = v.object(); v.err == nil {
			v.raw, v.err = json.Marshal(o)
		}
	})
	return v.raw, v.err
}

// NewMemoryStore returns an empty store that keeps [DefaultHotValues]
// packable values unpacked.
func NewMemoryStore() *MemoryStore {
	return newMemoryStore(DefaultHotValues, nil)
}

// newMemoryStore returns an empty store that keeps hot packable values
// unpacked (at least one); hash, when not nil, replaces the seeded hash of
// the packed values' index (tests make keys clash with it).
func newMemoryStore(hot int, hash func(string) uint64) *MemoryStore {
	s := &MemoryStore{
		values:      make(map[string]*stored),
		sets:        make(map[string]*sortedSet),
		checkpoints: make(map[string]uint64),
		recent:      make([]recentValue, 0, max(hot, 1)),
		cur:         -1,
		slabBytes:   slabSize,
	}
	s.cold = hashindex.New(s.recordKey, hash)
	return s
}

// Get returns the value under key, or an error wrapping [ErrNotFound]. The
// returned slice is shared with the store and must not be modified. A value
// a projection committed as a Go value is encoded by the first Get (an
// encoding error is returned by every Get of it).
func (s *MemoryStore) Get(ctx context.Context, key string) ([]byte, error) {
	v, found, err := s.value(ctx, key)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("get %q: %w", key, ErrNotFound)
	}
	raw, err := v.bytes()
	if err != nil {
		return nil, fmt.Errorf("get %q: encode: %w", key, err)
	}
	return raw, nil
}

// value returns what is stored under key; found is false when nothing is.
func (s *MemoryStore) value(ctx context.Context, key string) (v *stored, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("get %q: %w", key, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if v, found = s.values[key]; found {
		return v, true, nil
	}
	if ref, ok := s.cold.Get(key); ok {
		packed, kind := s.record(ref)
		return &stored{packed: packed, unpack: unpackerOf(kind)}, true, nil
	}
	return nil, false, nil
}

// parseRecord splits a packed record into its key and the rest (kind and
// packed value), sharing its bytes.
func parseRecord(rec []byte) (key string, rest []byte) {
	r := packReader{b: rec}
	r.uint() // the record's length, known from its ref
	key = r.str()
	return key, r.b
}

// recordKey returns the key of a packed record, sharing the slab's bytes.
func (s *MemoryStore) recordKey(ref coldRef) string {
	key, _ := parseRecord(s.slabs[ref.slab][ref.off : ref.off+ref.n])
	return key
}

// record returns a packed record's value and kind.
func (s *MemoryStore) record(ref coldRef) (packed []byte, kind byte) {
	_, rest := parseRecord(s.slabs[ref.slab][ref.off : ref.off+ref.n : ref.off+ref.n])
	return rest[1:], rest[0]
}

// forget removes the packed value of key, if any, and compacts its slab
// when that leaves it under a quarter live. The caller holds the write
// lock.
func (s *MemoryStore) forget(key string) {
	if s.cold.Len() == 0 {
		return // a store that has packed nothing, as most never do
	}
	ref, ok := s.cold.Delete(key)
	if !ok {
		return
	}
	v := int(ref.slab)
	if s.slabLive[v] -= int(ref.n); v != s.cur && s.slabLive[v]*4 < cap(s.slabs[v]) {
		s.compact(v)
	}
}

// compact moves the live records of slab v to the current slab and lets v
// go: values unpacked from it keep its bytes alive as long as they need
// them. The caller holds the write lock.
func (s *MemoryStore) compact(v int) {
	slab := s.slabs[v]
	for off := 0; off < len(slab); {
		size, w := binary.Uvarint(slab[off:])
		n := w + int(size)
		ref := coldRef{slab: uint32(v), off: uint32(off), n: uint32(n)}
		key, _ := parseRecord(slab[off : off+n])
		off += n
		// Only the records the index still points at are live. (Put
		// copies a key it keeps, which here shares the slab let go.)
		if s.cold.Has(key, ref) {
			s.cold.Put(key, s.place(slab[ref.off:ref.off+ref.n]))
		}
	}
	// Only now may v be reused: a record placed in it during the walk
	// could take the place of one not yet walked.
	s.slabs[v], s.slabLive[v] = nil, 0
	s.freeSlabs = append(s.freeSlabs, uint32(v))
}

// Range returns up to limit members of set that are >= from, in ascending
// byte order (limit <= 0: all of them).
func (s *MemoryStore) Range(ctx context.Context, set, from string, limit int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("range %q: %w", set, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ss := s.sets[set]
	if ss == nil {
		return nil, nil
	}
	return ss.rangeFrom(from, limit), nil
}

// Checkpoint returns the committed checkpoint of the projection name, 0 when
// none.
func (s *MemoryStore) Checkpoint(ctx context.Context, name string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("checkpoint %q: %w", name, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkpoints[name], nil
}

// Commit applies b atomically, as documented on [Store]: the
// batch is validated and the checkpoint compared before anything changes,
// and nothing after that point can fail.
func (s *MemoryStore) Commit(ctx context.Context, b Batch) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit %s: %w", b.Projection, err)
	}
	if err := b.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := s.checkpoints[b.Projection]; got != b.From {
		return fmt.Errorf("commit %s at %d: stored checkpoint is %d: %w", b.Projection, b.From, got, ErrCheckpointMismatch)
	}
	for _, w := range b.Writes {
		switch w := w.(type) {
		case Put:
			s.forget(w.Key)
			if w.obj != nil {
				v := &stored{obj: w.obj}
				s.values[w.Key] = v
				if _, ok := w.obj.(packable); ok {
					s.remember(w.Key, v)
				}
			} else {
				s.values[w.Key] = &stored{raw: w.Value}
			}
		case Delete:
			s.forget(w.Key)
			delete(s.values, w.Key)
		case AddMember:
			ss := s.sets[w.Set]
			if ss == nil {
				ss = &sortedSet{}
				s.sets[w.Set] = ss
			}
			ss.add(w.Member)
		case RemoveMember:
			if ss := s.sets[w.Set]; ss != nil && ss.remove(w.Member) && ss.len() == 0 {
				delete(s.sets, w.Set)
			}
		}
	}
	s.checkpoints[b.Projection] = b.To
	return nil
}

// remember records v, just committed under key, among the recent values,
// and packs the value it pushes out unless a later commit replaced it. The
// caller holds the write lock.
func (s *MemoryStore) remember(key string, v *stored) {
	if len(s.recent) < cap(s.recent) {
		s.recent = append(s.recent, recentValue{key, v})
		return
	}
	old := s.recent[s.next]
	s.recent[s.next] = recentValue{key, v}
	s.next = (s.next + 1) % len(s.recent)
	if s.values[old.key] == old.v {
		s.pack(old.key, old.v.obj.(packable))
		delete(s.values, old.key)
	}
}

// pack packs p, the value of key, into the current slab and indexes it.
// The caller holds the write lock.
func (s *MemoryStore) pack(key string, p packable) {
	w := packWriter{b: s.scratch[:0]}
	w.str(key)
	body := p.appendPacked(append(w.b, p.packKind()))
	s.scratch = body
	var size [binary.MaxVarintLen64]byte
	head := packWriter{b: size[:0]}
	head.uint(uint64(len(body)))
	s.cold.Put(key, s.place(head.b, body))
}

// place appends a record, given in parts, to the current slab, or to a new
// one when it does not fit, and returns where it went. The caller holds the
// write lock.
func (s *MemoryStore) place(parts ...[]byte) coldRef {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if s.cur < 0 || cap(s.slabs[s.cur])-len(s.slabs[s.cur]) < n {
		// A new slab: the old one is never grown (the values unpacked
		// from it share its bytes), only compacted once mostly dead.
		slab := make([]byte, 0, max(s.slabBytes, n))
		if k := len(s.freeSlabs); k > 0 {
			s.cur = int(s.freeSlabs[k-1])
			s.freeSlabs = s.freeSlabs[:k-1]
			s.slabs[s.cur] = slab
		} else {
			s.cur = len(s.slabs)
			s.slabs = append(s.slabs, slab)
			s.slabLive = append(s.slabLive, 0)
		}
	}
	off := len(s.slabs[s.cur])
	for _, p := range parts {
		s.slabs[s.cur] = append(s.slabs[s.cur], p...)
	}
	s.slabLive[s.cur] += n
	return coldRef{slab: uint32(s.cur), off: uint32(off), n: uint32(n)}
}

// Len returns the number of values and of sorted sets held, for tests and
// diagnostics.
func (s *MemoryStore) Len() (values, sets int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.values) + s.cold.Len(), len(s.sets)
}

// eachValue calls f with every key and value, packed ones as a new stored
// value each, for tests and diagnostics. The caller holds a lock.
func (s *MemoryStore) eachValue(f func(key string, v *stored, ref coldRef, packed bool)) {
	for k, v := range s.values {
		f(k, v, coldRef{}, false)
	}
	visit := func(ref coldRef) {
		packed, kind := s.record(ref)
		f(s.recordKey(ref), &stored{packed: packed, unpack: unpackerOf(kind)}, ref, true)
	}
	for ref := range s.cold.Values() {
		visit(ref)
	}
}
