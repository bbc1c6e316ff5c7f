package processor

import (
	"context"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// subscribeBatched keeps the projection current from after on, folding
// every event waiting at one moment as one batch (see
// [eventstore.SubscribeBatches]). Under load a batch holds the evaluator's whole
// completion of a run (seven events on one stream), which a batch decodes
// and encodes once instead of seven times. It returns the error that ended
// the subscription or the folding.
func (lp *liveProjection) subscribeBatched(ctx context.Context, store eventstore.Store, after uint64, markCaughtUp func()) error {
	return eventstore.SubscribeBatches(ctx, store, after, maxApplyBatch, func(ctx context.Context, batch []events.Record) error {
		return lp.applyBatch(ctx, batch, markCaughtUp)
	})
}

// applyBatch folds one batch, then tells the applied hook about each event,
// advances the projection's signal (in that order, so whoever waits on the
// signal also sees what the hook did), and marks the projection caught up
// once it reaches its target.
func (lp *liveProjection) applyBatch(ctx context.Context, batch []events.Record, markCaughtUp func()) error {
	if err := lp.p.ApplyBatch(ctx, batch); err != nil {
		return err
	}
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
	return nil
}
