package processor

import (
	"context"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// timedStore is an [eventstore.Store] that records the latency of every
// append in [Metrics.ObserveAppend]; everything else passes through. The
// service hands it to the aggregate repository, so that the API's and the
// workers' appends are all measured.
type timedStore struct {
	eventstore.Store
	metrics *Metrics
}

// Append appends through the wrapped store and records how long it took,
// durable commit included, whether it succeeded or not.
func (s timedStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, evs ...events.Event) (eventstore.AppendResult, error) {
	start := time.Now()
	res, err := s.Store.Append(ctx, stream, expected, evs...)
	s.metrics.ObserveAppend(time.Since(start))
	return res, err
}

// SubscribeBatches subscribes through the wrapped store in batches, which
// the store delivers itself when it can (see [eventstore.SubscribeBatches]):
// wrapping must not cost the embedded store's subscriptions their single
// goroutine.
func (s timedStore) SubscribeBatches(ctx context.Context, after uint64, max int, h eventstore.BatchHandler) error {
	return eventstore.SubscribeBatches(ctx, s.Store, after, max, h)
}
