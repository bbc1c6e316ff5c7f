package aggregates

import (
	"context"
	"errors"
	"fmt"

	"github.com/worldval/worldval/eventstore"
)

// Snapshot is a folded stream as of one read.
type Snapshot[P any] struct {
	// State is the folded state (a zero state for a stream with no events).
	State P
	// Version is the stream version the state reflects (0: no stream).
	Version uint64
	// Position is the global position of the stream's last event (0: no
	// stream).
	Position uint64
}

// Load reads stream and folds it into a fresh state. A stream with no events
// yields the zero state at version 0, not an error: whether "not found" is an
// error is the caller's domain decision.
func Load[S any, P State[S]](ctx context.Context, repo *Repository, stream string) (Snapshot[P], error) {
	state := P(new(S))
	snap := Snapshot[P]{State: state}
	for {
		recs, err := repo.store.ReadStream(ctx, stream, snap.Version+1, readPage)
		if errors.Is(err, eventstore.ErrStreamNotFound) && snap.Version == 0 {
			return snap, nil
		}
		if err != nil {
			return Snapshot[P]{}, fmt.Errorf("load %s: %w", stream, err)
		}
		if err := foldInto(repo.reg, state, recs); err != nil {
			return Snapshot[P]{}, fmt.Errorf("load: %w", err)
		}
		if len(recs) > 0 {
			last := recs[len(recs)-1]
			snap.Version, snap.Position = last.StreamVersion, last.GlobalPosition
		}
		if len(recs) < readPage {
			return snap, nil
		}
	}
}
