package aggregates

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/eventstore"
)

// Cache keeps aggregate snapshots: the folded state of each stream it has
// served, with the stream version the state reflects. [Cache.Update] then
// reads only the events appended since that version (none, when this
// process is the stream's only writer) instead of the whole stream, folds
// them into the kept state, decides, and appends with that version as the
// expected version.
//
// This is how an aggregate whose stream grows without bound (the risk
// snapshot ledger: one event per snapshot, about 500k a year per world)
// keeps its per-command cost constant, and it is as safe as [Update]: the
// decision is made against the complete state at version N, and the append
// succeeds only if the stream is still at N; otherwise the cache reads the
// newer events, folds them and decides again. The kept state is never
// trusted beyond what the store confirms, so several processes writing the
// same stream, or a process restarted with an empty cache (its first
// command folds the stream once), stay correct.
//
// Commands on one stream are serialized within the process (they would only
// conflict with each other); commands on different streams run in parallel.
// The cache holds every stream it has served for the life of the process;
// use it for aggregates with few, long-lived streams (one per world), not for
// one stream per entity. It is safe for concurrent use.
type Cache[S any, P State[S]] struct {
	repo    *Repository
	mu      sync.Mutex
	entries map[string]*cacheEntry[S, P]
}

// cacheEntry is the kept state of one stream; its mutex serializes the
// stream's commands and guards snap.
type cacheEntry[S any, P State[S]] struct {
	mu   sync.Mutex
	snap Snapshot[P]
}

// NewCache returns an empty cache over repo, which is required.
func NewCache[S any, P State[S]](repo *Repository) (*Cache[S, P], error) {
	if repo == nil {
		return nil, errors.New("aggregates: cache over a nil repository")
	}
	return &Cache[S, P]{repo: repo, entries: make(map[string]*cacheEntry[S, P])}, nil
}

// entry returns the entry of stream, creating an empty one.
func (c *Cache[S, P]) entry(stream string) *cacheEntry[S, P] {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[stream]
	if e == nil {
		e = &cacheEntry[S, P]{snap: Snapshot[P]{State: P(new(S))}}
		c.entries[stream] = e
	}
	return e
}

// catchUp folds the events of stream after the entry's version. When a
// fold fails, the entry is reset to the empty state, so the next command
// folds the stream from the start instead of trusting a half-applied state.
func (c *Cache[S, P]) catchUp(ctx context.Context, e *cacheEntry[S, P], stream string) error {
	for {
		recs, err := c.repo.store.ReadStream(ctx, stream, e.snap.Version+1, readPage)
		if errors.Is(err, eventstore.ErrStreamNotFound) && e.snap.Version == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", stream, err)
		}
		if err := foldInto(c.repo.reg, e.snap.State, recs); err != nil {
			e.snap = Snapshot[P]{State: P(new(S))}
			return fmt.Errorf("load: %w", err)
		}
		if len(recs) > 0 {
			last := recs[len(recs)-1]
			e.snap.Version, e.snap.Position = last.StreamVersion, last.GlobalPosition
		}
		if len(recs) < readPage {
			return nil
		}
	}
}

// View catches the kept state of stream up with the store and calls read
// with it, holding the stream's lock: read must not keep the state or
// change it. It returns the version the state reflects.
func (c *Cache[S, P]) View(ctx context.Context, stream string, read func(state P)) (uint64, error) {
	e := c.entry(stream)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := c.catchUp(ctx, e, stream); err != nil {
		return 0, err
	}
	read(e.snap.State)
	return e.snap.Version, nil
}

// Update is [Update] over the kept state: it catches the state of stream up
// with the store, calls decide, and appends the events it returns expecting
// the version the state reflects; on [eventstore.ErrWrongExpectedVersion]
// it catches up and decides again, at most the repository's maximum number
// of attempts. Errors, results and the rules for decide are those of
// [Update].
func (c *Cache[S, P]) Update(ctx context.Context, stream string, decide Decider[P]) (eventstore.AppendResult, error) {
	e := c.entry(stream)
	e.mu.Lock()
	defer e.mu.Unlock()
	var lastConflict error
	for attempt := 1; attempt <= c.repo.maxAttempts; attempt++ {
		if attempt > 1 {
			if err := backoff(ctx, attempt); err != nil {
				return eventstore.AppendResult{}, fmt.Errorf("update %s: %w (after %v)", stream, err, lastConflict)
			}
		}
		if err := c.catchUp(ctx, e, stream); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("update: %w", err)
		}
		evs, err := decide(e.snap.State)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("update %s: %w", stream, err)
		}
		if len(evs) == 0 {
			return eventstore.AppendResult{StreamVersion: e.snap.Version, Position: e.snap.Position, Duplicate: true}, nil
		}
		var expected eventstore.ExpectedVersion = eventstore.Exact(e.snap.Version)
		if e.snap.Version == 0 {
			expected = eventstore.NoStream{}
		}
		res, err := c.repo.store.Append(ctx, stream, expected, evs...)
		if err == nil {
			// Fold what was appended (one small read), so the kept
			// state is the store's, byte for byte. The append stands
			// whatever this read says: on failure the entry starts
			// over at the next command.
			if c.catchUp(ctx, e, stream) != nil {
				e.snap = Snapshot[P]{State: P(new(S))}
			}
			return res, nil
		}
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return eventstore.AppendResult{}, fmt.Errorf("update %s: %w", stream, err)
		}
		lastConflict = err
	}
	return eventstore.AppendResult{}, errcode.Wrap(errcode.Conflict, lastConflict,
		fmt.Sprintf("update %s: gave up after %d attempts", stream, c.repo.maxAttempts))
}

// Forget drops the kept state of stream; the next command folds the stream
// again. Tests use it to simulate a restart.
func (c *Cache[S, P]) Forget(stream string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, stream)
}
