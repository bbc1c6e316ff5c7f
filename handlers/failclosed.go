package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/world"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"golang.org/x/sync/singleflight"
)

// FailClosedSource tells the evaluator whether a world's runs must be
// evaluated fail-closed: validation.on_error and on_missing_metric forced to
// fail before evaluation and hashing, whatever the policy says
// (validation-core §6.7). Implementations must be safe for concurrent use.
type FailClosedSource interface {
	// FailClosed reports whether world is evaluated fail-closed now. An
	// error is a failure to find out (the store), which the evaluator
	// retries; it never evaluates fail-open because of one.
	FailClosed(ctx context.Context, world string) (bool, error)
}

// WithFailClosed sets where the evaluator learns which worlds are
// fail-closed. The default is [WorldSettingsFailClosed] over the
// evaluator's repository; nil keeps it. The evaluator asks a
// [WorldSettingsFailClosed] (the default or one given here) as of each
// submission's global position, from a cache it keeps current with the
// events it handles; any other source is asked for every submission, at
// handling time.
func WithFailClosed(s FailClosedSource) EvaluatorOption {
	return func(e *Evaluator) {
		if s != nil {
			e.failClosed = s
		}
	}
}

// WorldSettingsFailClosed is the [FailClosedSource] of the world aggregate:
// a world is fail-closed when its settings make it high-tier critical
// (validation-core §1). It reads the world's own stream, world/{world}, so
// the decision rests on the event store, not on a read model.
type WorldSettingsFailClosed struct {
	// Repo is the repository the world stream is loaded from.
	Repo *aggregates.Repository
}

// FailClosed implements [FailClosedSource].
func (s WorldSettingsFailClosed) FailClosed(ctx context.Context, worldID string) (bool, error) {
	stream, err := events.WorldStream(worldID)
	if err != nil {
		return false, nil // no stream can hold settings for this id: none were set
	}
	snap, err := aggregates.Load[world.World](ctx, s.Repo, stream)
	if err != nil {
		return false, fmt.Errorf("world settings of %s: %w", worldID, err)
	}
	return snap.State.HighTierCritical(), nil
}

// failClosedCache answers [WorldSettingsFailClosed] for the evaluator and
// the extended validator as of a global position (the submission's, the
// trigger's, as their policy is), without reading the world's stream per
// run or per pass. It reads a world's stream once and keeps, with their
// global positions, the settings changes that switched the world between
// fail-open and fail-closed, until its owner reports an event of that stream
// the read did not include ([failClosedCache.observe]). Its owner must
// report every event it is handed, in global order, and not concurrently
// with look-ups. It is safe for concurrent use.
type failClosedCache struct {
	repo   *aggregates.Repository
	mu     sync.Mutex
	worlds map[string]*worldFailClosed
	// reads makes concurrent look-ups of a world the cache does not hold
	// share one read of its stream.
	reads singleflight.Group
}

// worldFailClosed is what a world's stream says about fail-closed
// enforcement.
type worldFailClosed struct {
	// changes are the positions at which the world switched, in stream
	// order; the world is fail-open before the first.
	changes []failClosedChange
	// version is the stream version the read reached.
	version uint64
}

// failClosedChange is one switch: from position on, the world is
// fail-closed or not.
type failClosedChange struct {
	position   uint64
	failClosed bool
}

func newFailClosedCache(repo *aggregates.Repository) *failClosedCache {
	return &failClosedCache{repo: repo, worlds: map[string]*worldFailClosed{}}
}

// observe forgets a world whose stream has an event the kept read does not
// include, so that the next look-up reads the stream again.
func (c *failClosedCache) observe(rec *events.Record) {
	if !strings.HasPrefix(rec.Stream, events.CategoryWorld+"/") {
		return
	}
	if _, ids, err := events.ParseStream(rec.Stream); err == nil && len(ids) == 1 {
		c.mu.Lock()
		if w, ok := c.worlds[ids[0]]; ok && rec.StreamVersion > w.version {
			delete(c.worlds, ids[0])
		}
		c.mu.Unlock()
	}
}

// at reports whether worldID was evaluated fail-closed as of global
// position at: by the settings stored before it, whatever came later.
func (c *failClosedCache) at(ctx context.Context, worldID string, at uint64) (bool, error) {
	stream, err := events.WorldStream(worldID)
	if err != nil {
		return false, nil // no stream can hold settings for this id: none were set
	}
	c.mu.Lock()
	w, ok := c.worlds[worldID]
	c.mu.Unlock()
	if !ok {
		v, err, _ := c.reads.Do(worldID, func() (any, error) { return c.read(ctx, worldID, stream) })
		if err != nil {
			return false, fmt.Errorf("world settings of %s: %w", worldID, err)
		}
		w = v.(*worldFailClosed)
	}
	failClosed := false
	for _, ch := range w.changes {
		if ch.position > at {
			break
		}
		failClosed = ch.failClosed
	}
	return failClosed, nil
}

// read folds a world's stream, noting where it switched, and keeps the
// result.
func (c *failClosedCache) read(ctx context.Context, worldID, stream string) (*worldFailClosed, error) {
	recs, err := c.repo.Store().ReadStream(ctx, stream, 1, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		recs, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	w := &worldFailClosed{}
	var state world.World
	for i := range recs {
		rec := &recs[i]
		payload, err := c.repo.Registry().Decode(&rec.Event)
		if err != nil {
			return nil, fmt.Errorf("fold %s version %d: %w", stream, rec.StreamVersion, err)
		}
		if err := state.Apply(rec, payload); err != nil {
			return nil, fmt.Errorf("fold %s version %d (%s): %w", stream, rec.StreamVersion, rec.Type, err)
		}
		if fc := state.HighTierCritical(); fc != w.failClosedAtEnd() {
			w.changes = append(w.changes, failClosedChange{position: rec.GlobalPosition, failClosed: fc})
		}
		w.version = rec.StreamVersion
	}
	c.mu.Lock()
	c.worlds[worldID] = w
	c.mu.Unlock()
	return w, nil
}

// failClosedAtEnd reports whether the world is fail-closed after its last
// change.
func (w *worldFailClosed) failClosedAtEnd() bool {
	return len(w.changes) > 0 && w.changes[len(w.changes)-1].failClosed
}
