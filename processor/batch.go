package processor

import "github.com/worldval/worldval/eventstore"

// maxApplyBatch bounds how many events one batch of a batched subscription
// holds (see eventstore.SubscribeBatches: when the service is idle each
// batch is a single event; under load the batches grow by themselves, and
// the embedded store delivers them from the subscription's own goroutine).
const maxApplyBatch = 256

// BatchHandler receives the events of a subscription that were waiting at
// one moment, in global order, as one unit of work. The slice is only valid
// during the call. An error stops the subscription.
type BatchHandler = eventstore.BatchHandler
