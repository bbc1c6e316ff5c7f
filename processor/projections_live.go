package processor

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/projections"
)

// rebuildLogEvery is the least time between two progress lines of one
// projection's catch-up.
const rebuildLogEvery = 2 * time.Second

// liveProjection is one projection kept current by a subscription: its
// catch-up state and the signal writers wait on.
type liveProjection struct {
	p      projections.Projection
	signal *positionSignal
	// caughtUp is set once the projection has applied every event that was
	// stored when it started.
	caughtUp atomic.Bool
	// target is the head to reach before caughtUp is set; the follow
	// goroutine sets it before the subscription whose folding reads it.
	target uint64
	// applied, when set, is called after each event the subscription
	// applies (see [WithAppliedHook]).
	applied func(projection string, rec *events.Record)
}

func newLiveProjection(p projections.Projection) *liveProjection {
	return &liveProjection{p: p, signal: newPositionSignal()}
}

func (lp *liveProjection) isCaughtUp() bool { return lp.caughtUp.Load() }

// follow catches the projection up and then applies every new event until
// ctx is done. It calls onCaughtUp once, when the projection first reaches
// the head the store had when it started. The checkpoint is the projection's
// own, committed atomically with its data, so a retry after an error resumes
// exactly after the last applied event.
func (lp *liveProjection) follow(ctx context.Context, store eventstore.Store, log *slog.Logger, metrics *Metrics, cfg runConfig, onCaughtUp func()) {
	name := lp.p.Name()
	log = log.With("projection", name)
	var once sync.Once
	markCaughtUp := func() {
		once.Do(func() {
			lp.caughtUp.Store(true)
			onCaughtUp()
		})
	}
	backoff := cfg.minBackoff
	for {
		started := time.Now()
		err := lp.followOnce(ctx, store, log, markCaughtUp)
		if ctx.Err() != nil {
			return
		}
		metrics.SubscriptionError(name)
		log.Error("projection subscription failed; retrying from its checkpoint", "err", err, "retry_in", backoff)
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = nextBackoff(backoff, time.Since(started), cfg)
	}
}

// followOnce runs one attempt: a rebuild when the projection is empty, then a
// subscription from its checkpoint. It returns the error that ended the
// attempt.
func (lp *liveProjection) followOnce(ctx context.Context, store eventstore.Store, log *slog.Logger, markCaughtUp func()) error {
	cp, err := lp.p.Checkpoint(ctx)
	if err != nil {
		return err
	}
	if !lp.isCaughtUp() {
		if cp == 0 {
			prog, err := projections.Rebuild(ctx, store, lp.p, projections.WithProgress(rebuildLogger(log)))
			lp.signal.advance(prog.Position)
			if err != nil {
				return err
			}
			cp = prog.Position
			markCaughtUp()
		} else {
			// An earlier rebuild failed part way: the subscription
			// catches up from what it committed.
			if lp.target, err = store.Head(ctx); err != nil {
				return fmt.Errorf("read head: %w", err)
			}
			if cp >= lp.target {
				markCaughtUp()
			}
		}
	}
	lp.signal.advance(cp)
	return lp.subscribeBatched(ctx, store, cp, markCaughtUp)
}

// rebuildLogger logs a catch-up's progress at most every rebuildLogEvery, and
// its end.
func rebuildLogger(log *slog.Logger) func(projections.Progress) {
	var last time.Time
	return func(p projections.Progress) {
		switch {
		case p.Done:
			log.Info("projection caught up", "events", p.Events, "position", p.Position, "elapsed", p.Elapsed.Round(time.Millisecond))
		case time.Since(last) >= rebuildLogEvery:
			last = time.Now()
			log.Info("projection catching up", "position", p.Position, "head", p.Head, "events", p.Events, "elapsed", p.Elapsed.Round(time.Millisecond))
		}
	}
}

// sleepCtx waits for d or until ctx is done, and reports whether the wait
// ran its course.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// positionSignal publishes the global position a projection has applied and
// lets any number of goroutines wait for it to reach a position. The zero
// value is not usable; call newPositionSignal.
type positionSignal struct {
	mu  sync.Mutex
	pos uint64
	// moved is closed, and replaced, whenever pos advances.
	moved chan struct{}
}

func newPositionSignal() *positionSignal {
	return &positionSignal{moved: make(chan struct{})}
}

// position returns the applied position.
func (s *positionSignal) position() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos
}

// advance records that every event up to pos is applied; it never moves
// backwards.
func (s *positionSignal) advance(pos uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos <= s.pos {
		return
	}
	s.pos = pos
	close(s.moved)
	s.moved = make(chan struct{})
}

// wait blocks until the position reaches pos or ctx is done, and reports
// whether it was reached.
func (s *positionSignal) wait(ctx context.Context, pos uint64) bool {
	for {
		s.mu.Lock()
		reached, moved := s.pos >= pos, s.moved
		s.mu.Unlock()
		if reached {
			return true
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return false
		}
	}
}

// nextBackoff doubles the wait after a failed attempt, up to the maximum,
// and starts again from the minimum when the attempt had run for longer than
// the maximum wait (it was a new failure, not the same one again).
func nextBackoff(cur, ran time.Duration, cfg runConfig) time.Duration {
	if ran > cfg.maxBackoff {
		return cfg.minBackoff
	}
	return min(2*cur, cfg.maxBackoff)
}
