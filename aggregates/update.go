package aggregates

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// Decider is the decision of one command: given the current state it returns
// the events to append, none for an idempotent no-op, or a domain error. It
// may run several times (once per attempt), so it must not have side effects
// beyond its return values, and it must not keep the state it is given.
type Decider[P any] func(state P) ([]events.Event, error)

// Update runs one command against stream: it loads and folds the stream,
// calls decide, and appends the returned events expecting the version it
// loaded ([eventstore.NoStream] for a new stream, [eventstore.Exact]
// otherwise). When another writer appended in between
// ([eventstore.ErrWrongExpectedVersion]), it reloads and decides again, at
// most the repository's maximum number of attempts, waiting briefly between
// attempts and giving up when ctx is done.
//
// When every attempt conflicts, the error has code [errcode.Conflict] and
// wraps [eventstore.ErrWrongExpectedVersion].
//
// A decide that returns no events appends nothing; the result then reports
// the stream as loaded, with Duplicate set because nothing was written. A
// domain error from decide is returned wrapped, so errcode.From finds it.
func Update[S any, P State[S]](ctx context.Context, repo *Repository, stream string, decide Decider[P]) (eventstore.AppendResult, error) {
	var lastConflict error
	for attempt := 1; attempt <= repo.maxAttempts; attempt++ {
		if attempt > 1 {
			if err := backoff(ctx, attempt); err != nil {
				return eventstore.AppendResult{}, fmt.Errorf("update %s: %w (after %v)", stream, err, lastConflict)
			}
		}
		snap, err := Load[S, P](ctx, repo, stream)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("update: %w", err)
		}
		evs, err := decide(snap.State)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("update %s: %w", stream, err)
		}
		if len(evs) == 0 {
			return eventstore.AppendResult{StreamVersion: snap.Version, Position: snap.Position, Duplicate: true}, nil
		}
		var expected eventstore.ExpectedVersion = eventstore.Exact(snap.Version)
		if snap.Version == 0 {
			expected = eventstore.NoStream{}
		}
		res, err := repo.store.Append(ctx, stream, expected, evs...)
		if err == nil {
			return res, nil
		}
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return eventstore.AppendResult{}, fmt.Errorf("update %s: %w", stream, err)
		}
		lastConflict = err
	}
	return eventstore.AppendResult{}, errcode.Wrap(errcode.Conflict, lastConflict,
		fmt.Sprintf("update %s: gave up after %d attempts", stream, repo.maxAttempts))
}

// backoff waits before attempt (2, 3, …): nothing before the second attempt,
// since the winner of a race has usually committed by then, then a jittered
// delay that doubles up to 50 ms so that deciders on a hot stream spread out.
func backoff(ctx context.Context, attempt int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if attempt <= 2 {
		return nil
	}
	d := min(time.Millisecond<<(attempt-3), 50*time.Millisecond)
	d = d/2 + rand.N(d) // jitter in [d/2, 3d/2)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
