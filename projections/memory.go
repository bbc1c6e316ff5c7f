package projections

import (
	"context"
	"fmt"
	"sync"
)

// MemoryStore is the in-memory [Store] of the embedded profile (read models
// rebuilt from the event store at start and kept in the process) and of
// [AsOf]. It is safe for concurrent use: readers share a read lock, and a
// commit holds the write lock while it applies a whole batch, so no reader
// sees part of one. The zero MemoryStore is not usable; call
// [NewMemoryStore].
type MemoryStore struct {
	mu          sync.RWMutex
	values      map[string][]byte
	sets        map[string]*sortedSet
	checkpoints map[string]uint64
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		values:      make(map[string][]byte),
		sets:        make(map[string]*sortedSet),
		checkpoints: make(map[string]uint64),
	}
}

// Get returns the value under key, or an error wrapping
// [ErrNotFound]. The returned slice is shared with the store and
// must not be modified.
func (s *MemoryStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	s.mu.RLock()
	v, ok := s.values[key]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("get %q: %w", key, ErrNotFound)
	}
	return v, nil
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
			s.values[w.Key] = w.Value
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
