package processor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// Runner runs one named handler or projection as a checkpointed subscription
// on the event store. It starts after the stored checkpoint, hands every later
// event to the handler in global order, and saves the position it reached
// (see [RunnerConfig] for how often). After a crash, the events after the last
// saved checkpoint are delivered again, so handlers must be idempotent.
//
// A Runner must not run twice at the same time (with the same name, across
// processes too): the lease that guarantees that belongs to the caller.
type Runner struct {
	store   eventstore.Store
	cps     eventstore.Checkpoints
	handler eventstore.Handler
	// batch, when set instead of handler, takes the events waiting at one
	// moment together (see [NewBatchRunner]).
	batch BatchHandler
	cfg   RunnerConfig
}

// NewRunner returns a runner of h over store, keeping its checkpoint in cps.
// It applies cfg's defaults and refuses an invalid configuration or a nil
// dependency.
func NewRunner(store eventstore.Store, cps eventstore.Checkpoints, h eventstore.Handler, cfg RunnerConfig) (*Runner, error) {
	switch {
	case store == nil:
		return nil, errors.New("new runner: nil event store")
	case cps == nil:
		return nil, errors.New("new runner: nil checkpoint store")
	case h == nil:
		return nil, errors.New("new runner: nil handler")
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new runner: %w", err)
	}
	return &Runner{store: store, cps: cps, handler: h, cfg: cfg}, nil
}

// NewBatchRunner returns a runner that hands h the events waiting at one
// moment as one batch, in global order (at most 256 at a time; a single
// event when the store is quiet). A batch is handled as a unit: the
// checkpoint moves past it only when h returns nil, and after a failure or a
// crash the whole batch is delivered again, so h must be idempotent for
// every event of it.
func NewBatchRunner(store eventstore.Store, cps eventstore.Checkpoints, h BatchHandler, cfg RunnerConfig) (*Runner, error) {
	if h == nil {
		return nil, errors.New("new runner: nil batch handler")
	}
	r, err := NewRunner(store, cps, func(context.Context, events.Record) error { return nil }, cfg)
	if err != nil {
		return nil, err
	}
	r.handler, r.batch = nil, h
	return r, nil
}

// Name returns the runner's name, under which its checkpoint is stored.
func (r *Runner) Name() string { return r.cfg.Name }

// HandlerError reports the event a runner's handler failed on (for a batch
// runner, the first event of the batch that failed). The checkpoint stays
// before Position, so a restarted runner delivers that event again.
type HandlerError struct {
	// Runner is the runner's name.
	Runner string
	// Position is the global position of the event that failed.
	Position uint64
	// EventID and Type identify the event.
	EventID, Type string
	// Err is the handler's error.
	Err error
}

// Error describes the failure with the runner, position, event and cause.
func (e *HandlerError) Error() string {
	return fmt.Sprintf("runner %q: handler failed at position %d (event %s, %s): %v", e.Runner, e.Position, e.EventID, e.Type, e.Err)
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }

// Run processes events until ctx is done or the handler fails. It blocks. On
// cancellation it saves the checkpoint of the last handled event and returns
// nil; when the handler fails it saves the checkpoint of the last event before
// the failure and returns a [*HandlerError]. Any other failure (reading the
// checkpoint, the store, saving) is returned wrapped. A failed final save is
// reported even on cancellation, since progress would be lost.
func (r *Runner) Run(ctx context.Context) error {
	start, err := r.cps.Checkpoint(ctx, r.cfg.Name)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("runner %q: read checkpoint: %w", r.cfg.Name, err)
	}
	cp := newRunnerCheckpoint(r.cps, r.cfg, start)

	subCtx, stopSub := context.WithCancelCause(ctx)
	defer stopSub(nil)
	var wg sync.WaitGroup
	if r.cfg.CheckpointInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.tickCheckpoints(subCtx, cp); err != nil {
				stopSub(err) // a failing save stops the subscription
			}
		}()
	}

	if r.batch != nil {
		err = eventstore.SubscribeBatches(subCtx, r.store, start, maxApplyBatch, func(ctx context.Context, recs []events.Record) error {
			if err := r.batch(ctx, recs); err != nil {
				first := &recs[0]
				return &HandlerError{Runner: r.cfg.Name, Position: first.GlobalPosition, EventID: first.ID, Type: first.Type, Err: err}
			}
			return cp.handledUpTo(ctx, recs[len(recs)-1].GlobalPosition, len(recs))
		})
	} else {
		err = r.store.Subscribe(subCtx, start, func(ctx context.Context, rec events.Record) error {
			if err := r.handler(ctx, rec); err != nil {
				return &HandlerError{Runner: r.cfg.Name, Position: rec.GlobalPosition, EventID: rec.ID, Type: rec.Type, Err: err}
			}
			return cp.handledUpTo(ctx, rec.GlobalPosition, 1)
		})
	}
	stopSub(nil)
	wg.Wait()

	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.FlushTimeout)
	defer cancel()
	flushErr := cp.flush(flushCtx)

	if cause := context.Cause(subCtx); cause != nil && !errors.Is(cause, context.Canceled) && ctx.Err() == nil {
		err = cause // the interval ticker failed to save
	}
	if ctx.Err() != nil && cancelled(ctx, err) {
		return flushErr
	}
	return errors.Join(err, flushErr)
}

// tickCheckpoints saves unsaved progress every interval until ctx is done.
func (r *Runner) tickCheckpoints(ctx context.Context, cp *runnerCheckpoint) error {
	t := time.NewTicker(r.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := cp.tick(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

// cancelled reports whether err is only the consequence of ctx ending: the
// subscription's ctx.Err(), or a handler or save that failed because of it.
func cancelled(ctx context.Context, err error) bool {
	return err == nil || errors.Is(err, ctx.Err()) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
