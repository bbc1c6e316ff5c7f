package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// subscriber runs one subscription in a goroutine and records what it gets.
type subscriber struct {
	after  uint64
	cancel context.CancelFunc
	done   chan error
	last   atomic.Uint64
	mu     sync.Mutex
	got    []events.Record
	bad    error // first out-of-order delivery or malformed batch
}

// subscribeMode is how a test subscribes: event by event, or in batches
// through [eventstore.SubscribeBatches] (the store's own batches when it is
// a [eventstore.BatchSubscriber], else queued ones), or in queued batches
// whatever the store is.
type subscribeMode int

const (
	oneByOne subscribeMode = iota
	inBatches
	inQueuedBatches
)

var subscribeModes = []struct {
	name string
	mode subscribeMode
}{{"Subscribe", oneByOne}, {"SubscribeBatches", inBatches}, {"QueuedBatches", inQueuedBatches}}

// testBatchMax is the batch bound of the batched modes: small, so that
// bursts fill batches.
const testBatchMax = 7

// plainStore hides every method of a store but those of [eventstore.Store],
// so that [eventstore.SubscribeBatches] queues its batches.
type plainStore struct{ eventstore.Store }

// subscribeWith subscribes to s after the given position in mode, handing h
// one event at a time; in the batched modes it checks each batch (not
// empty, at most testBatchMax events) and reports a bad one as an error.
func subscribeWith(ctx context.Context, s eventstore.Store, after uint64, mode subscribeMode, h eventstore.Handler) error {
	if mode == oneByOne {
		return s.Subscribe(ctx, after, h)
	}
	if mode == inQueuedBatches {
		s = plainStore{s}
	}
	return eventstore.SubscribeBatches(ctx, s, after, testBatchMax, func(ctx context.Context, recs []events.Record) error {
		if len(recs) == 0 || len(recs) > testBatchMax {
			return fmt.Errorf("batch of %d events, want 1..%d", len(recs), testBatchMax)
		}
		for _, r := range recs {
			if err := h(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func startSubscriberMode(t testing.TB, s eventstore.Store, after uint64, mode subscribeMode) *subscriber {
	ctx, cancel := context.WithCancel(testContext(t))
	sub := &subscriber{after: after, cancel: cancel, done: make(chan error, 1)}
	sub.last.Store(after)
	go func() {
		sub.done <- subscribeWith(ctx, s, after, mode, func(_ context.Context, r events.Record) error {
			sub.mu.Lock()
			defer sub.mu.Unlock()
			if prev := sub.last.Load(); r.GlobalPosition <= prev && sub.bad == nil {
				sub.bad = fmt.Errorf("position %d delivered after %d", r.GlobalPosition, prev)
			}
			sub.got = append(sub.got, r)
			sub.last.Store(r.GlobalPosition)
			return nil
		})
	}()
	t.Cleanup(cancel)
	return sub
}

// waitFor waits until the subscriber has delivered position pos.
func (sub *subscriber) waitFor(t testing.TB, pos uint64) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for sub.last.Load() < pos {
		select {
		case err := <-sub.done:
			t.Fatalf("subscription after %d ended at %d before reaching %d: %v", sub.after, sub.last.Load(), pos, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscription after %d: reached %d, not %d, within %v", sub.after, sub.last.Load(), pos, waitTimeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stop cancels the subscription and checks it returned the context's error.
func (sub *subscriber) stop(t testing.TB) []events.Record {
	t.Helper()
	sub.cancel()
	select {
	case err := <-sub.done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled subscription returned %v, want context.Canceled", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("subscription did not stop within %v of its context's end", waitTimeout)
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.bad != nil {
		t.Fatalf("subscription after %d: %v", sub.after, sub.bad)
	}
	return sub.got
}

// testSubscribeConcurrent starts subscriptions before, during and from the
// middle of a burst of concurrent appends. Each must deliver every event
// after its start position exactly once, in global order, across the
// catch-up-to-live hand-over.
func testSubscribeConcurrent(t *testing.T, h Harness) {
	for _, m := range subscribeModes {
		t.Run(m.name, func(t *testing.T) { subscribeConcurrent(t, h, m.mode) })
	}
}

func subscribeConcurrent(t *testing.T, h Harness, mode subscribeMode) {
	const writers, appends = 4, 30
	s, _ := newStore(t, h, Config{})
	for i := range 20 {
		mustAppend(t, s, fmt.Sprintf("sub/seed/%d", i%3), eventstore.Any{}, event(fmt.Sprintf("sub/seed/%d", i), i))
	}
	seeded := head(t, s)
	early := startSubscriberMode(t, s, 0, mode)

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range appends {
				evs := eventsN(fmt.Sprintf("sub/%d/%d", w, i), 1+i%2)
				if _, err := s.Append(testContext(t), fmt.Sprintf("sub/%d", (w+i)%5), eventstore.Any{}, evs...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	// Start two more while the writers are busy: one from the start, one
	// from the middle of what is stored by then.
	for deadline := time.Now().Add(waitTimeout); head(t, s) < seeded+uint64(writers*appends/4); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("writers appended too little within %v", waitTimeout)
		}
	}
	late := startSubscriberMode(t, s, 0, mode)
	mid := startSubscriberMode(t, s, head(t, s)/2, mode)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}

	all := verifyChains(t, s)
	final := all[len(all)-1].GlobalPosition
	for _, sub := range []*subscriber{early, late, mid} {
		sub.waitFor(t, final)
		got := sub.stop(t)
		var want []events.Record
		for _, r := range all {
			if r.GlobalPosition > sub.after {
				want = append(want, r)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("subscription after %d: %d events delivered, want %d", sub.after, len(got), len(want))
		}
		for i := range got {
			if err := sameRecord(&got[i], &want[i]); err != nil {
				t.Fatalf("subscription after %d: event %d: %v", sub.after, i, err)
			}
		}
	}
}

// testSubscribeStops checks how a subscription ends: with its handler's
// error, with its context's, and when the store is closed; and that one
// started beyond the head waits for new events.
func testSubscribeStops(t *testing.T, h Harness) {
	for _, m := range subscribeModes {
		t.Run(m.name, func(t *testing.T) { subscribeStops(t, h, m.mode) })
	}
}

func subscribeStops(t *testing.T, h Harness, mode subscribeMode) {
	s, _ := newStore(t, h, Config{})
	mustAppend(t, s, "stop/a", eventstore.NoStream{}, eventsN("stop/a", 3)...)

	errStop := errors.New("handler says stop")
	calls := 0
	err := subscribeWith(testContext(t), s, 0, mode, func(context.Context, events.Record) error {
		calls++
		if calls == 2 {
			return errStop
		}
		return nil
	})
	wantErr(t, "subscription whose handler failed", err, errStop)
	if calls != 2 {
		t.Fatalf("handler called %d times after failing on the 2nd event", calls)
	}

	// Caught up and idle, then canceled.
	sub := startSubscriberMode(t, s, 0, mode)
	sub.waitFor(t, head(t, s))
	if got := sub.stop(t); len(got) != 3 {
		t.Fatalf("idle subscription delivered %d events, want 3", len(got))
	}

	// Started beyond the head: waits, then delivers only what comes after.
	h0 := head(t, s)
	ahead := startSubscriberMode(t, s, h0, mode)
	res := mustAppend(t, s, "stop/b", eventstore.NoStream{}, event("stop/b/0", 0))
	ahead.waitFor(t, res.Position)
	if got := ahead.stop(t); len(got) != 1 || got[0].ID != event("stop/b/0", 0).ID {
		t.Fatalf("subscription from the head delivered %d events, want the one appended after", len(got))
	}

	// Closing the store ends a waiting subscription.
	loc := h.NewLocation(t)
	s2, err := h.Open(testContext(t), loc, Config{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- subscribeWith(testContext(t), s2, 0, mode, func(context.Context, events.Record) error { return nil })
	}()
	time.Sleep(20 * time.Millisecond) // let it reach its wait; a close before that must end it too
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		wantErr(t, "subscription of a closed store", err, eventstore.ErrClosed)
	case <-time.After(waitTimeout):
		t.Fatalf("subscription did not end within %v of Close", waitTimeout)
	}
}
