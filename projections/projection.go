package projections

import (
	"context"
	"fmt"

	"github.com/worldval/worldval/events"
)

// Projection is a read model folded from the event store. Implementations
// in this package are safe for concurrent use by readers, but only one
// goroutine (or, with a shared store, one process under a lease) may apply
// events to a projection at a time; a second writer fails with
// [ErrCheckpointMismatch] instead of corrupting the data.
type Projection interface {
	// Name is the projection's stable name: the key of its checkpoint and
	// the prefix of its keys. Renaming a projection means rebuilding it.
	Name() string
	// Checkpoint returns the global position of the last event the
	// projection has committed (0 before the first). A subscription
	// resumes after it.
	Checkpoint(ctx context.Context) (uint64, error)
	// Apply folds one event and commits the result together with the new
	// checkpoint. An event at or below the checkpoint is skipped, so Apply
	// is idempotent by position. Its signature is that of
	// [eventstore.Handler], so a method value can be handed to a
	// subscription directly.
	Apply(ctx context.Context, rec events.Record) error
	// ApplyBatch folds events given in ascending global position (gaps are
	// allowed) and commits them as one batch: all of them or, on any error,
	// none. Events at or below the checkpoint are skipped.
	ApplyBatch(ctx context.Context, recs []events.Record) error
}

// folder is what a concrete projection adds to the shared engine: which
// event types it folds and how.
type folder interface {
	// handles reports whether events of type t change this projection.
	// Other events only advance the checkpoint, without being decoded.
	handles(t string) bool
	// fold applies one decoded event through tx.
	fold(ctx context.Context, tx *tx, rec *events.Record, payload any) error
}

// engine is the part every projection shares: checkpoint handling, skipping
// by position, decoding, and the single atomic commit per batch.
type engine struct {
	name  string
	store Store
	reg   *events.Registry
	f     folder
}

func newEngine(name string, store Store, reg *events.Registry, f folder) (engine, error) {
	switch {
	case store == nil:
		return engine{}, fmt.Errorf("projection %s: nil store", name)
	case reg == nil:
		return engine{}, fmt.Errorf("projection %s: nil event registry", name)
	}
	return engine{name: name, store: store, reg: reg, f: f}, nil
}

// Name returns the projection's stable name.
func (e *engine) Name() string { return e.name }

// Checkpoint returns the projection's committed position.
func (e *engine) Checkpoint(ctx context.Context) (uint64, error) {
	pos, err := e.store.Checkpoint(ctx, e.name)
	if err != nil {
		return 0, fmt.Errorf("projection %s: checkpoint: %w", e.name, err)
	}
	return pos, nil
}

// Apply folds and commits one event.
func (e *engine) Apply(ctx context.Context, rec events.Record) error {
	return e.ApplyBatch(ctx, []events.Record{rec})
}

// ApplyBatch folds recs and commits them with the checkpoint in one batch.
func (e *engine) ApplyBatch(ctx context.Context, recs []events.Record) error {
	from, err := e.Checkpoint(ctx)
	if err != nil {
		return err
	}
	t := newTx(e.store)
	to := from
	for i := range recs {
		rec := &recs[i]
		if rec.GlobalPosition <= to {
			continue // already folded: idempotent re-delivery
		}
		if e.f.handles(rec.Type) {
			payload, err := e.reg.Decode(&rec.Event)
			if err != nil {
				return fmt.Errorf("projection %s: event %d (%s): %w", e.name, rec.GlobalPosition, rec.Type, err)
			}
			if err := e.f.fold(ctx, t, rec, payload); err != nil {
				return fmt.Errorf("projection %s: event %d (%s) on %s: %w", e.name, rec.GlobalPosition, rec.Type, rec.Stream, err)
			}
		}
		to = rec.GlobalPosition
	}
	if to == from {
		return nil
	}
	writes, err := t.writes()
	if err != nil {
		return fmt.Errorf("projection %s: %w", e.name, err)
	}
	if err := e.store.Commit(ctx, Batch{Projection: e.name, From: from, To: to, Writes: writes}); err != nil {
		return fmt.Errorf("projection %s: commit %d..%d: %w", e.name, from, to, err)
	}
	return nil
}
