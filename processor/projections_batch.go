package processor

import (
	"context"
	"errors"
	"sync"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// maxApplyBatch bounds how many events a live read model folds and commits
// as one batch.
const maxApplyBatch = 256

// subscribeBatched keeps the projection current from after on: one goroutine
// reads the store's subscription and hands each event over, another folds
// every event waiting at that moment as one batch. Under load a batch holds
// the evaluator's whole completion of a run (seven events on one stream),
// which a batch decodes and encodes once instead of seven times; when the
// service is idle each batch is a single event, so nothing waits for a batch
// to fill. It returns the error that ended the subscription or the folding.
func (lp *liveProjection) subscribeBatched(ctx context.Context, store eventstore.Store, after uint64, markCaughtUp func()) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	in := make(chan events.Record, maxApplyBatch)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := lp.applyBatches(ctx, in, markCaughtUp); err != nil {
			cancel(err)
		}
	})
	err := store.Subscribe(ctx, after, func(ctx context.Context, rec events.Record) error {
		select {
		case in <- rec:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(in)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause // the folding failed, which ended the subscription
	}
	return err
}

// applyBatches folds what arrives on in, as batches of whatever is waiting,
// until in is closed or a batch fails. After each batch it tells the applied
// hook about each event, advances the projection's signal, and marks the
// projection caught up once it reaches its target.
func (lp *liveProjection) applyBatches(ctx context.Context, in <-chan events.Record, markCaughtUp func()) error {
	batch := make([]events.Record, 0, maxApplyBatch)
	for rec := range in {
		batch = append(batch[:0], rec)
	fill:
		for len(batch) < maxApplyBatch {
			select {
			case r, ok := <-in:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if err := lp.p.ApplyBatch(ctx, batch); err != nil {
			return err
		}
		// The hook hears each event before the signal moves, so whoever
		// waits on the signal also sees what the hook did.
		if lp.applied != nil {
			for i := range batch {
				lp.applied(lp.p.Name(), &batch[i])
			}
		}
		last := batch[len(batch)-1].GlobalPosition
		lp.signal.advance(last)
		if !lp.isCaughtUp() && last >= lp.target {
			markCaughtUp()
		}
	}
	return nil
}
