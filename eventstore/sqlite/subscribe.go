package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// subscribeBatch is how many events a subscription reads per query.
const subscribeBatch = 256

// broadcaster wakes every waiter once per commit: wait returns a channel that
// the next broadcast closes (and replaces).
type broadcaster struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBroadcaster() *broadcaster {
	return &broadcaster{ch: make(chan struct{})}
}

// wait returns a channel closed by the next broadcast.
func (b *broadcaster) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

// broadcast wakes everyone waiting.
func (b *broadcaster) broadcast() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.ch)
	b.ch = make(chan struct{})
}

// Subscribe delivers every event with global position > after to h, in
// global order, as documented on [eventstore.Store]. A subscription that
// keeps up is served from memory: the writer keeps the records of its latest
// commits in a bounded tail (see [WithTail]), and a subscriber whose position
// lies within the tail takes the next records from there; one further behind
// reads them from the file, in batches, until it reaches the tail. Either way
// it then waits for the writer's next commit. The wake-up channel is taken
// before each read, and the writer fills the tail before it wakes anyone, so
// a commit that lands after a read still wakes the subscription; the tail
// holds every record from its start on, and positions only grow, so nothing
// is skipped or delivered twice when a subscription moves between file and
// tail. Records from the tail are exactly those [Store.ReadAll] returns,
// field for field, and only ever committed ones.
//
// A record h receives from the tail shares its Payload with the tail and
// with every other subscriber that receives it, so h must treat the payload
// as read-only, as [eventstore.Handler] requires: it may keep it, but must
// copy it before changing it (appending to it copies, since it has no spare
// capacity). The other fields are strings and values, h's own.
//
// It returns ctx.Err() when ctx ends, h's error when h fails, and an error
// wrapping [eventstore.ErrClosed] when the store is closed.
func (s *Store) Subscribe(ctx context.Context, after uint64, h eventstore.Handler) error {
	return s.subscribe(ctx, after, subscribeBatch, func(ctx context.Context, recs []events.Record) error {
		for i := range recs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := h(ctx, recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// SubscribeBatches is Subscribe handing h each read as one batch of at most
// max records (max <= 0: 256), what the tail or the file held after the
// subscription's position when it looked (see
// [eventstore.BatchSubscriber]). The slice is reused for the next batch;
// the records' payloads are shared as Subscribe's are.
//
// It saves a batched subscriber the goroutine and the channel that
// [eventstore.SubscribeBatches] otherwise puts between Subscribe and the
// batches: the service runs a dozen subscriptions, which every commit
// wakes, so that is a dozen goroutines fewer to schedule per commit.
func (s *Store) SubscribeBatches(ctx context.Context, after uint64, max int, h eventstore.BatchHandler) error {
	if max <= 0 {
		max = subscribeBatch
	}
	return s.subscribe(ctx, after, max, h)
}

// subscribe is the loop of Subscribe and SubscribeBatches: it hands h each
// read of at most max records and moves past them once h returns.
func (s *Store) subscribe(ctx context.Context, after uint64, max int, h eventstore.BatchHandler) error {
	pos := after
	var buf []events.Record // reused for records from the tail
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.isClosed() {
			return fmt.Errorf("subscribe after %d: %w", pos, eventstore.ErrClosed)
		}
		wake := s.notify.wait()
		recs, live := s.tail.read(pos, buf[:0], max)
		if live {
			s.fromTail.Add(uint64(len(recs)))
		} else {
			var err error
			if recs, err = s.ReadAll(ctx, pos, max); err != nil {
				return s.subscribeError(ctx, pos, err)
			}
			s.fromFile.Add(uint64(len(recs)))
		}
		if len(recs) > 0 {
			if err := h(ctx, recs); err != nil {
				return err
			}
			pos = recs[len(recs)-1].GlobalPosition
		}
		if live {
			clear(recs) // let the delivered payloads go
			buf = recs
		}
		if len(recs) == max {
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closing:
			return fmt.Errorf("subscribe after %d: %w", pos, eventstore.ErrClosed)
		}
	}
}

// subscribeError is the error that ends a subscription at pos whose read
// failed with err.
func (s *Store) subscribeError(ctx context.Context, pos uint64, err error) error {
	switch {
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return ctx.Err()
	case s.isClosed() && !errors.Is(err, eventstore.ErrClosed):
		// The read raced with Close.
		return fmt.Errorf("subscribe after %d: %w (%w)", pos, eventstore.ErrClosed, err)
	}
	return fmt.Errorf("subscribe after %d: %w", pos, err)
}
