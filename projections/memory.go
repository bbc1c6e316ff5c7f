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
type MemoryStore struct {
	mu          sync.RWMutex
	values      map[string]*stored
	sets        map[string]*sortedSet
	checkpoints map[string]uint64
}

var (
	_ Store      = (*MemoryStore)(nil)
	_ valueStore = (*MemoryStore)(nil)
)

// stored is one value of a [MemoryStore]: bytes committed as such, or the Go
// value a projection committed, encoded the first time a reader asks for
// bytes. Nothing in it changes after the commit but that cached encoding.
type stored struct {
	obj  any // the committed Go value; nil when raw was committed
	once sync.Once
	raw  []byte
	err  error // of encoding obj
}

// bytes returns the JSON of the value, encoding it on the first call. It is
// safe for concurrent use.
func (v *stored) bytes() ([]byte, error) {
	if v.obj == nil {
		return v.raw, nil
	}
	v.once.Do(func() { v.raw, v.err = json.Marshal(v.obj) })
	return v.raw, v.err
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		values:      make(map[string]*stored),
		sets:        make(map[string]*sortedSet),
		checkpoints: make(map[string]uint64),
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
				s.values[w.Key] = &stored{obj: w.obj}
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

// Len returns the number of values and of sorted sets held, for tests and
// diagnostics.
func (s *MemoryStore) Len() (values, sets int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.values), len(s.sets)
}
