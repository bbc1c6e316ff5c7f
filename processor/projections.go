package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/projections"
)

// readModels are the service's read models: the projections of the
// embedded profile, each over its own in-memory store, rebuilt from the event
// store at start and kept current by one subscription each, plus the as-of
// reader for ?as_of= queries. Build it with [newReadModels] and start it with
// [readModels.run].
//
// Queries are safe for concurrent use; each projection has exactly one writer,
// its subscription goroutine.
type readModels struct {
	store     eventstore.Store
	runs      *projections.RunCurrent
	history   *projections.RunHistory
	policies  *projections.Policies
	overrides *projections.ApprovedOverrides
	// invariants feeds GET …/validations/invariants: world records from
	// their projection, runs from runs.
	invariants projections.InvariantReader
	asOf       *projections.AsOf

	// live holds the projections in [projections.Names] order.
	live []*liveProjection
	// caughtUp is closed once every projection has caught up with the head
	// the store had when it started.
	caughtUp chan struct{}
}

// newReadModels builds the projections over fresh in-memory stores. Nothing
// is read until [readModels.run].
func newReadModels(store eventstore.Store, reg *events.Registry) (*readModels, error) {
	m := &readModels{store: store, caughtUp: make(chan struct{})}
	for _, name := range projections.Names() {
		p, err := projections.New(name, projections.NewMemoryStore(), reg)
		if err != nil {
			return nil, fmt.Errorf("read models: %w", err)
		}
		switch v := p.(type) {
		case *projections.RunCurrent:
			m.runs = v
		case *projections.RunHistory:
			m.history = v
		case *projections.Policies:
			m.policies = v
		case *projections.ApprovedOverrides:
			m.overrides = v
		case *projections.Invariants:
			m.invariants.Records = v
		}
		m.live = append(m.live, newLiveProjection(p))
	}
	m.invariants.Runs = m.runs
	if m.runs == nil || m.history == nil || m.policies == nil || m.overrides == nil || m.invariants.Records == nil {
		return nil, errors.New("read models: projections.Names lacks a projection the API serves")
	}
	asOf, err := projections.NewAsOf(store, reg, projections.WithRunIndex(m.runs))
	if err != nil {
		return nil, fmt.Errorf("read models: %w", err)
	}
	m.asOf = asOf
	return m, nil
}

// projection returns the live projection called name; it panics on a name
// that newReadModels did not build, a programming error.
func (m *readModels) projection(name string) *liveProjection {
	for _, lp := range m.live {
		if lp.p.Name() == name {
			return lp
		}
	}
	panic("processor: no read model " + name)
}

// Ready reports whether every projection has caught up; it is the read
// models' readiness check.
func (m *readModels) Ready(context.Context) error {
	select {
	case <-m.caughtUp:
		return nil
	default:
	}
	var behind []string
	for _, lp := range m.live {
		if !lp.isCaughtUp() {
			behind = append(behind, fmt.Sprintf("%s at %d", lp.p.Name(), lp.signal.position()))
		}
	}
	return fmt.Errorf("catching up: %s", strings.Join(behind, ", "))
}

// isCaughtUp reports, without blocking, whether every projection has caught
// up.
func (m *readModels) isCaughtUp() bool {
	select {
	case <-m.caughtUp:
		return true
	default:
		return false
	}
}

// waitFor waits until each projection named has applied the event at
// position pos, at most timeout in all or until ctx is done, and reports
// whether they all have. Writers call it after an append so that the client's
// next read of any of those projections finds what it wrote.
func (m *readModels) waitFor(ctx context.Context, pos uint64, timeout time.Duration, names ...string) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, name := range names {
		if !m.projection(name).signal.wait(ctx, pos) {
			return false
		}
	}
	return true
}

// runConfig tunes how the read models run; the zero value takes defaults.
type runConfig struct {
	// lagInterval is how often projection lag is reported (default 1s).
	lagInterval time.Duration
	// backoff bounds the waits between attempts after a subscription error
	// (default 100ms doubling up to 30s).
	minBackoff, maxBackoff time.Duration
}

func (c *runConfig) setDefaults() {
	if c.lagInterval <= 0 {
		c.lagInterval = time.Second
	}
	if c.minBackoff <= 0 {
		c.minBackoff = 100 * time.Millisecond
	}
	if c.maxBackoff < c.minBackoff {
		c.maxBackoff = max(30*time.Second, c.minBackoff)
	}
}

// start launches, on g, one goroutine per projection (catch up, then follow
// the store) and one that reports their lag, all until ctx is done. None of
// them returns an error: a failing subscription is counted, logged and
// retried from the projection's checkpoint with backoff, because stopping the
// service would not make the event it fails on any better.
func (m *readModels) start(ctx context.Context, g goer, log *slog.Logger, metrics *Metrics, cfg runConfig) {
	cfg.setDefaults()
	pending := make(chan struct{}, len(m.live))
	for _, lp := range m.live {
		g.Go(func() error {
			lp.follow(ctx, m.store, log, metrics, cfg, func() { pending <- struct{}{} })
			return nil
		})
	}
	g.Go(func() error {
		for range m.live {
			select {
			case <-pending:
			case <-ctx.Done():
				return nil
			}
		}
		close(m.caughtUp)
		log.Info("read models caught up", "projections", len(m.live))
		return nil
	})
	g.Go(func() error {
		m.reportLag(ctx, metrics, cfg.lagInterval)
		return nil
	})
}

// goer is the part of errgroup.Group that start needs.
type goer interface{ Go(func() error) }

// reportLag sets every projection's lag gauges every interval until ctx is
// done: the events between its checkpoint and the store's head, and the age
// of the oldest of them.
func (m *readModels) reportLag(ctx context.Context, metrics *Metrics, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for first := true; ; first = false {
		if !first { // report at once, then every interval
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		head, err := m.store.Head(ctx)
		if err != nil {
			continue // the store is closing or busy; the next tick tries again
		}
		for _, lp := range m.live {
			cp := lp.signal.position()
			var age time.Duration
			if head > cp {
				if recs, err := m.store.ReadAll(ctx, cp, 1); err == nil && len(recs) == 1 {
					age = time.Since(recs[0].RecordedAt)
				}
			}
			metrics.SetProjectionLag(lp.p.Name(), int64(head-min(cp, head)), max(age, 0))
		}
	}
}
