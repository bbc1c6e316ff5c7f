package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
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
// So a value of a type that can be packed ([packable]: the run projections'
// runs and run histories) stays a Go value only while it is among the
// DefaultHotValues values committed last; after that, unless a later commit
// replaced it, it is packed into a large shared buffer (a slab) that the
// collector does not look into, and unpacked when read. Nothing is lost or
// changed by packing: a test checks that every read gives the same answer.
type MemoryStore struct {
	mu          sync.RWMutex
	values      map[string]*stored
	sets        map[string]*sortedSet
	checkpoints map[string]uint64

	// recent holds the packable values committed last, oldest at next
	// once it is full: the value a commit puts at next is packed.
	recent []recentValue
	next   int
	// slab is where values are packed: filled, never rewritten, and
	// replaced by a new one when full. scratch is reused to pack into.
	slab    []byte
	scratch []byte
}

// DefaultHotValues is how many packable values a [MemoryStore] keeps as Go
// values: the runs folded most recently, which the next events (the
// verdict, the extended layers) and the readers waiting for them touch.
const DefaultHotValues = 4096

// slabSize is the size of the buffers values are packed into. A slab stays
// alive while any value packed in it does; runs that change after they were
// packed (a late override) leave their old bytes behind in it.
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
// unpacker returns the function that reads it back into an equal value
// (which may share the packed bytes; they never change).
type packable interface {
	appendPacked(dst []byte) []byte
	unpacker() func([]byte) (any, error)
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
	return newMemoryStore(DefaultHotValues)
}

// newMemoryStore returns an empty store that keeps hot packable values
// unpacked (at least one).
func newMemoryStore(hot int) *MemoryStore {
	return &MemoryStore{
		values:      make(map[string]*stored),
		sets:        make(map[string]*sortedSet),
		checkpoints: make(map[string]uint64),
		recent:      make([]recentValue, 0, max(hot, 1)),
	}
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
	v, found = s.values[key]
	s.mu.RUnlock()
	return v, found, nil
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
		s.values[old.key] = s.pack(old.v.obj.(packable))
	}
}

// pack returns p packed into the slab. The caller holds the write lock.
func (s *MemoryStore) pack(p packable) *stored {
	s.scratch = p.appendPacked(s.scratch[:0])
	n := len(s.scratch)
	if cap(s.slab)-len(s.slab) < n {
		// A new slab: the old one is never grown (its bytes are shared
		// by the values packed in it), only left to them.
		s.slab = make([]byte, 0, max(slabSize, n))
	}
	start := len(s.slab)
	s.slab = append(s.slab, s.scratch...)
	return &stored{packed: s.slab[start : start+n : start+n], unpack: p.unpacker()}
}

// Len returns the number of values and of sorted sets held, for tests and
// diagnostics.
func (s *MemoryStore) Len() (values, sets int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.values), len(s.sets)
}
