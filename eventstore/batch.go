package eventstore

import (
	"context"
	"errors"
	"sync"

	"github.com/worldval/worldval/events"
)

// BatchHandler receives the events of a subscription that were waiting at
// one moment, in global order, as one unit of work. The slice is valid only
// during the call (the records may be copied out; their payloads are
// read-only, as for a [Handler]). An error stops the subscription.
type BatchHandler func(ctx context.Context, recs []events.Record) error

// BatchSubscriber is implemented by a [Store] that delivers a subscription
// in batches itself: each call of h gets what the store held after the
// subscription's position when it looked, at most max events and never
// none. It is otherwise [Store.Subscribe]: the same events in the same
// order, the same hand-over from stored to new events, the same errors.
//
// [SubscribeBatches] uses it when a store has it; a store without it is
// batched by a goroutine of its own.
type BatchSubscriber interface {
	SubscribeBatches(ctx context.Context, after uint64, max int, h BatchHandler) error
}

// SubscribeBatches subscribes to store after the given position and hands h
// every event as part of a batch of at most max (max <= 0: 256) events that
// were waiting at one moment. When the subscriber keeps up each batch is a
// single event, so nothing waits for a batch to fill; under load the
// batches grow by themselves, and a handler that can share work between the
// events of a batch (one commit, one pass, one decode) gets cheaper per
// event exactly when it must.
//
// A store that is a [BatchSubscriber] delivers the batches itself, from one
// goroutine. For any other, one goroutine reads the store's subscription
// and queues each event, another takes whatever is queued as one batch. It
// returns the error that ended the subscription or the handler's.
func SubscribeBatches(ctx context.Context, store Store, after uint64, max int, h BatchHandler) error {
	if max <= 0 {
		max = defaultBatch
	}
	if bs, ok := store.(BatchSubscriber); ok {
		return bs.SubscribeBatches(ctx, after, max, h)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	in := make(chan events.Record, max)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := drainInBatches(ctx, in, max, h); err != nil {
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

// defaultBatch is the batch bound of SubscribeBatches when none is given.
const defaultBatch = 256

// drainInBatches hands h what arrives on in, as batches of whatever is
// waiting, until in is closed or a batch fails.
func drainInBatches(ctx context.Context, in <-chan events.Record, max int, h BatchHandler) error {
	batch := make([]events.Record, 0, max)
	for rec := range in {
		batch = append(batch[:0], rec)
	fill:
		for len(batch) < max {
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
		if err := h(ctx, batch); err != nil {
			return err
		}
		clear(batch) // let the payloads go before the next batch arrives
	}
	return nil
}
