package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/worldval/worldval/eventstore"
)

// defaultRebuildPage is how many events a rebuild reads and commits at once.
const defaultRebuildPage = 1000

// Progress reports how far a rebuild has come.
type Progress struct {
	// Projection is the name of the projection being rebuilt.
	Projection string
	// Position is the global position folded and committed so far.
	Position uint64
	// Head is the store's head when the rebuild started; events appended
	// since are folded too, so Position may pass it.
	Head uint64
	// Events counts the events read so far.
	Events int
	// Elapsed is the time since the rebuild started.
	Elapsed time.Duration
	// Done is true in the last report.
	Done bool
}

// RebuildOption configures [Rebuild].
type RebuildOption func(*rebuildConfig)

type rebuildConfig struct {
	page     int
	progress func(Progress)
}

// WithProgress makes Rebuild call fn after each committed page and once at
// the end (with Done set). fn runs on the rebuilding goroutine and should
// return quickly.
func WithProgress(fn func(Progress)) RebuildOption {
	return func(c *rebuildConfig) { c.progress = fn }
}

// WithPageSize sets how many events are read and committed per batch
// (default 1000); values <= 0 keep the default.
func WithPageSize(n int) RebuildOption {
	return func(c *rebuildConfig) {
		if n > 0 {
			c.page = n
		}
	}
}

// Rebuild folds every event of store, from position 0, into p, one atomic
// batch per page, until it reaches the head. p must be over a fresh store
// (checkpoint 0): to rebuild a projection, build a new one over an empty
// store and swap it in when Rebuild returns. Cancelling ctx stops it between
// pages; what was committed stays, and the projection can go on from its
// checkpoint under a subscription. It returns the final progress.
func Rebuild(ctx context.Context, store eventstore.Store, p Projection, opts ...RebuildOption) (Progress, error) {
	cfg := rebuildConfig{page: defaultRebuildPage}
	for _, o := range opts {
		o(&cfg)
	}
	start := time.Now()
	prog := Progress{Projection: p.Name()}
	cp, err := p.Checkpoint(ctx)
	if err != nil {
		return prog, fmt.Errorf("rebuild %s: %w", p.Name(), err)
	}
	if cp != 0 {
		return prog, fmt.Errorf("rebuild %s: the projection's store is at checkpoint %d, a rebuild needs an empty one", p.Name(), cp)
	}
	if prog.Head, err = store.Head(ctx); err != nil {
		return prog, fmt.Errorf("rebuild %s: %w", p.Name(), err)
	}
	report := func() {
		prog.Elapsed = time.Since(start)
		if cfg.progress != nil {
			cfg.progress(prog)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return prog, fmt.Errorf("rebuild %s at %d: %w", p.Name(), prog.Position, err)
		}
		recs, err := store.ReadAll(ctx, prog.Position, cfg.page)
		if err != nil {
			return prog, fmt.Errorf("rebuild %s at %d: %w", p.Name(), prog.Position, err)
		}
		if len(recs) > 0 {
			if err := p.ApplyBatch(ctx, recs); err != nil {
				return prog, fmt.Errorf("rebuild: %w", err)
			}
			prog.Position = recs[len(recs)-1].GlobalPosition
			prog.Events += len(recs)
		}
		if len(recs) < cfg.page {
			prog.Done = true
			report()
			return prog, nil
		}
		report()
	}
}
