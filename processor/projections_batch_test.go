package processor

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/eventstore/sqlite/sqlitetest"
	"github.com/worldval/worldval/projections"
)

// gatedProjection holds its first live batch until released and records the
// size of every batch.
type gatedProjection struct {
	projections.Projection
	gate    chan struct{}
	mu      sync.Mutex
	batches []int
}

func (g *gatedProjection) ApplyBatch(ctx context.Context, recs []events.Record) error {
	g.mu.Lock()
	first := len(g.batches) == 0
	g.batches = append(g.batches, len(recs))
	g.mu.Unlock()
	if first {
		<-g.gate
	}
	return g.Projection.ApplyBatch(ctx, recs)
}

// TestLiveProjectionBatchesWhatWaits holds a live projection on one event
// while more arrive: it must fold those in fewer, larger batches, advance its
// signal past all of them, and tell the applied hook about each event once.
func TestLiveProjectionBatchesWhatWaits(t *testing.T) {
	t.Parallel()
	store := sqlitetest.Open(t, sqlite.WithRegistry(events.Catalogue()))
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), events.Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	gated := &gatedProjection{Projection: runs, gate: make(chan struct{})}
	lp := newLiveProjection(gated)
	var mu sync.Mutex
	heard := map[uint64]int{}
	lp.applied = func(name string, rec *events.Record) {
		mu.Lock()
		heard[rec.GlobalPosition]++
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	caughtUp := make(chan struct{})
	wg.Go(func() {
		lp.follow(ctx, store, slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(),
			runConfig{minBackoff: time.Millisecond, maxBackoff: 5 * time.Millisecond}, func() { close(caughtUp) })
	})
	defer func() { cancel(); wg.Wait() }()
	<-caughtUp // an empty store: caught up at once, nothing applied yet

	seedRunsFrom(t, store, 0, 1) // held at the gate
	for !func() bool { gated.mu.Lock(); defer gated.mu.Unlock(); return len(gated.batches) == 1 }() {
		time.Sleep(time.Millisecond)
	}
	seedRunsFrom(t, store, 1, 20)
	time.Sleep(50 * time.Millisecond) // let the subscription read them
	close(gated.gate)
	if !lp.signal.wait(ctxTimeout(t, 5*time.Second), 21) {
		t.Fatal("the projection never reached position 21")
	}
	gated.mu.Lock()
	batches := append([]int(nil), gated.batches...)
	gated.mu.Unlock()
	// The 20 events waiting behind the gate are folded together: in one or
	// two batches on a quiet machine, and never one by one even when the
	// subscription is slow to hand them over.
	if len(batches) < 2 || len(batches) > 11 || batches[0] != 1 {
		t.Errorf("batches %v: want the held event, then the 20 that waited in a few batches", batches)
	}
	mu.Lock()
	defer mu.Unlock()
	for pos := uint64(1); pos <= 21; pos++ {
		if heard[pos] != 1 {
			t.Errorf("the hook heard position %d %d times", pos, heard[pos])
		}
	}
	page, err := runs.List(t.Context(), "w1", projections.ListQuery{Limit: 100})
	if err != nil || len(page.Runs) != 21 {
		t.Fatalf("%d runs, %v", len(page.Runs), err)
	}
}
