package processor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/eventstore/sqlite/sqlitetest"
	"github.com/worldval/worldval/projections"
)

// seedRuns appends n run submissions to store.
func seedRuns(t *testing.T, store *sqlite.Store, n int) {
	t.Helper()
	seedRunsFrom(t, store, 0, n)
}

// TestReadModelsCatchUpBeforeReady builds the read models over a store with
// history: before they run they are not ready, the API answers 503 and
// /readyz names the projections; once caught up they hold the history and
// follow new events.
func TestReadModelsCatchUpBeforeReady(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t, sqlite.WithRegistry(events.Catalogue()))
	seedRuns(t, store, 30)
	models, err := newReadModels(store, events.Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	if err := models.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "catching up") {
		t.Fatalf("Ready before running = %v", err)
	}
	auth, err := NewAuthenticator(AuthConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &api{models: models, auth: auth, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec := httptest.NewRecorder()
	a.requireReadModels(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/worlds/w1/runs", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "E_UNAVAILABLE") {
		t.Fatalf("gate before catch-up: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	rec = httptest.NewRecorder()
	readyHandler(map[string]ReadinessCheck{"projections": models.Ready}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), projections.RunCurrentName) {
		t.Fatalf("/readyz before catch-up: %d %s", rec.Code, rec.Body)
	}

	ctx, cancel := context.WithCancel(t.Context())
	var g errgroup.Group
	metrics := NewMetrics()
	models.start(ctx, &g, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics, runConfig{lagInterval: 10 * time.Millisecond})
	defer func() {
		cancel()
		if err := g.Wait(); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-models.caughtUp:
	case <-time.After(10 * time.Second):
		t.Fatal("read models did not catch up")
	}
	if err := models.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	page, err := models.runs.List(t.Context(), "w1", projections.ListQuery{Limit: 100})
	if err != nil || len(page.Runs) != 30 {
		t.Fatalf("caught-up run list: %d runs, %v", len(page.Runs), err)
	}

	// New events are followed, and waitFor sees them.
	seedRunsFrom(t, store, 30, 1)
	head, _ := store.Head(t.Context())
	if !models.waitFor(t.Context(), head, 5*time.Second, projections.Names()...) {
		t.Fatalf("the projections did not reach %d", head)
	}
	if _, err := models.runs.Get(t.Context(), "w1", "s30", "r1"); err != nil {
		t.Fatal(err)
	}
	// The lag gauges report zero once everything is applied.
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines := scrape(t, metrics)
		if lines[`worldval_projection_lag_events{projection="evaluation_run_current"} 0`] &&
			lines[`worldval_projection_lag_seconds{projection="approved_overrides"} 0`] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lag gauges never reported caught up: %v", lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// seedRunsFrom appends n submissions of strategies s{from}….
func seedRunsFrom(t *testing.T, store *sqlite.Store, from, n int) {
	t.Helper()
	reg := events.Catalogue()
	for i := from; i < from+n; i++ {
		stream, _ := events.RunStream("w1", fmt.Sprintf("s%d", i), "r1")
		ev, err := reg.New(events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: fmt.Sprintf("s%d", i), RunID: "r1", Stage: "backtest", RiskTier: "unknown", RequestHash: "sha256:x"},
			events.Meta{IdempotencyKey: fmt.Sprintf("seed-%d", i), OccurredAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Append(t.Context(), stream, eventstore.Any{}, ev); err != nil {
			t.Fatal(err)
		}
	}
}

// flakyProjection fails its first failures applications, then passes them
// on to the projection it wraps.
type flakyProjection struct {
	projections.Projection
	failures atomic.Int32
}

func (f *flakyProjection) Apply(ctx context.Context, rec events.Record) error {
	return f.ApplyBatch(ctx, []events.Record{rec})
}

func (f *flakyProjection) ApplyBatch(ctx context.Context, recs []events.Record) error {
	if f.failures.Add(-1) >= 0 {
		return errors.New("injected failure")
	}
	return f.Projection.ApplyBatch(ctx, recs)
}

// TestLiveProjectionRetriesAfterErrors makes a live projection fail twice
// on a new event: each failure is counted as a subscription error, and the
// projection resumes from its checkpoint and applies the event once.
func TestLiveProjectionRetriesAfterErrors(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t, sqlite.WithRegistry(events.Catalogue()))
	seedRuns(t, store, 3)
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), events.Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	flaky := &flakyProjection{Projection: runs}
	lp := newLiveProjection(flaky)
	metrics := NewMetrics()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	caughtUp := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		lp.follow(ctx, store, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics,
			runConfig{minBackoff: time.Millisecond, maxBackoff: 5 * time.Millisecond}, func() { close(caughtUp) })
	}()
	defer func() { cancel(); wg.Wait() }()
	<-caughtUp // no failure is armed yet: the rebuild applies every event

	flaky.failures.Store(2)
	seedRunsFrom(t, store, 3, 1)
	if !lp.signal.wait(ctxTimeout(t, 5*time.Second), 4) {
		t.Fatal("the projection never applied the event after its failures")
	}
	if !scrape(t, metrics)[`worldval_subscription_errors_total{subscriber="evaluation_run_current"} 2`] {
		t.Fatalf("subscription errors not counted: %v", scrape(t, metrics))
	}
	page, err := runs.List(t.Context(), "w1", projections.ListQuery{})
	if err != nil || len(page.Runs) != 4 {
		t.Fatalf("after the retries: %d runs, %v", len(page.Runs), err)
	}
}

// ctxTimeout returns a context that ends after d or with the test.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestPositionSignal(t *testing.T) {
	s := newPositionSignal()
	s.advance(3)
	s.advance(2) // never backwards
	if s.position() != 3 || !s.wait(t.Context(), 3) {
		t.Fatal("position 3 not reached")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if s.wait(ctx, 4) {
		t.Fatal("waited past the position")
	}
	done := make(chan bool)
	go func() { done <- s.wait(t.Context(), 5) }()
	s.advance(4)
	s.advance(5)
	if !<-done {
		t.Fatal("waiter not woken")
	}
}
