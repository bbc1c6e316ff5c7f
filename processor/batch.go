package processor

import (
	"context"

	"github.com/worldval/worldval/eventstore"
)

// maxApplyBatch bounds how many events one batch of a batched subscription
// holds.
const maxApplyBatch = 256

// BatchHandler receives the events of a subscription that were waiting at
// one moment, in global order, as one unit of work. The slice is only valid
// during the call. An error stops the subscription.
type BatchHandler = eventstore.BatchHandler

// subscribeInBatches subscribes to store after the given position and hands
// apply every event as part of a batch of at most maxBatch events waiting at
// one moment (see [eventstore.SubscribeBatches]): when the service is idle
// each batch is a single event, so nothing waits for a batch to fill; under
// load the batches grow by themselves, and a handler that can share work
// between the events of a batch (one commit, one pass, one decode) gets
// cheaper per event exactly when it must. A store that batches itself (the
// embedded one) runs the subscription on one goroutine, which matters when
// a dozen subscriptions wake at every commit. It returns the error that
// ended the subscription or the folding.
func subscribeInBatches(ctx context.Context, store eventstore.Store, after uint64, maxBatch int, apply BatchHandler) error {
	return eventstore.SubscribeBatches(ctx, store, after, maxBatch, apply)
}
