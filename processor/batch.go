package processor

import (
	"context"
	"errors"
	"sync"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// maxApplyBatch bounds how many events one batch of a batched subscription
// holds.
const maxApplyBatch = 256

// BatchHandler receives the events of a subscription that were waiting at
// one moment, in global order, as one unit of work. The slice is only valid
// during the call. An error stops the subscription.
type BatchHandler func(ctx context.Context, recs []events.Record) error

// subscribeInBatches subscribes to store after the given position and hands
// apply every event as part of a batch: one goroutine reads the store's
// subscription and queues each event, another takes whatever is queued at
// that moment (at most maxBatch events) as one batch. When the service is
// idle each batch is a single event, so nothing waits for a batch to fill;
// under load the batches grow by themselves, and a handler that can share
// work between the events of a batch (one commit, one pass, one decode)
// gets cheaper per event exactly when it must. It returns the error that
// ended the subscription or the folding.
func subscribeInBatches(ctx context.Context, store eventstore.Store, after uint64, maxBatch int, apply BatchHandler) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	in := make(chan events.Record, maxBatch)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := drainInBatches(ctx, in, maxBatch, apply); err != nil {
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
		return cause // the batch handler failed, which ended the subscription
	}
	return err
}

// drainInBatches hands apply what arrives on in, as batches of whatever is
// waiting, until in is closed or a batch fails.
func drainInBatches(ctx context.Context, in <-chan events.Record, maxBatch int, apply BatchHandler) error {
	batch := make([]events.Record, 0, maxBatch)
	for rec := range in {
		batch = append(batch[:0], rec)
	fill:
		for len(batch) < maxBatch {
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
		if err := apply(ctx, batch); err != nil {
			return err
		}
		clear(batch) // let the payloads go before the next batch arrives
	}
	return nil
}
