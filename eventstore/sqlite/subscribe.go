package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
// global order, as documented on [eventstore.Store]: it reads stored events in
// batches, then waits for the writer's next commit and reads again. The wake-up
// channel is taken before each read, so a commit that lands after a read
// still wakes the subscription; positions only grow, so nothing is delivered
// twice. It returns ctx.Err() when ctx ends, h's error when h fails, and an
// error wrapping [eventstore.ErrClosed] when the store is closed.
func (s *Store) Subscribe(ctx context.Context, after uint64, h eventstore.Handler) error {
	pos := after
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.isClosed() {
			return fmt.Errorf("subscribe after %d: %w", pos, eventstore.ErrClosed)
		}
		wake := s.notify.wait()
		recs, err := s.ReadAll(ctx, pos, subscribeBatch)
		if err != nil {
			switch {
			case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
				return ctx.Err()
			case s.isClosed() && !errors.Is(err, eventstore.ErrClosed):
				// The read raced with Close.
				return fmt.Errorf("subscribe after %d: %w (%w)", pos, eventstore.ErrClosed, err)
			}
			return fmt.Errorf("subscribe after %d: %w", pos, err)
		}
		for i := range recs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := h(ctx, recs[i]); err != nil {
				return err
			}
			pos = recs[i].GlobalPosition
		}
		if len(recs) == subscribeBatch {
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
