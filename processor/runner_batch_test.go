package processor_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/processor"
)

// batchRecorder is a batch handler that records every batch it was given.
type batchRecorder struct {
	rec     *recorder
	mu      sync.Mutex
	batches [][]uint64
	fail    func(batch []uint64) error
}

func (b *batchRecorder) handle(ctx context.Context, recs []events.Record) error {
	pos := make([]uint64, len(recs))
	for i := range recs {
		pos[i] = recs[i].GlobalPosition
	}
	if b.fail != nil {
		if err := b.fail(pos); err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.batches = append(b.batches, pos)
	b.mu.Unlock()
	for i := range recs {
		if err := b.rec.handle(ctx, recs[i]); err != nil {
			return err
		}
	}
	return nil
}

func newBatchTestRunner(t *testing.T, s *sqlite.Store, h processor.BatchHandler, cfg processor.RunnerConfig) *processor.Runner {
	t.Helper()
	r, err := processor.NewBatchRunner(s, s, h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBatchRunnerDeliversEveryEventOnceInOrder: stored events arrive in
// batches of more than one (they all wait at the start), live ones follow,
// and every position is handled exactly once, in order.
func TestBatchRunnerDeliversEveryEventOnceInOrder(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "stored", 600)
	b := &batchRecorder{rec: newRecorder()}
	stop, _ := startRunner(t, newBatchTestRunner(t, s, b.handle, processor.RunnerConfig{Name: "batch", CheckpointEvery: 100}))
	waitFor(t, b.rec.at(600), "the stored events")
	runnerAppend(t, s, "live", 30)
	waitFor(t, b.rec.at(630), "the live events")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := b.rec.positions(); !slices.Equal(got, seq(1, 630)) {
		t.Fatalf("handled %d positions, want 1..630 in order once", len(got))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	largest := 0
	for _, batch := range b.batches {
		if len(batch) > 256 {
			t.Fatalf("a batch of %d events, more than the bound of 256", len(batch))
		}
		largest = max(largest, len(batch))
	}
	if largest < 2 {
		t.Fatalf("600 waiting events came one by one (%d batches): nothing was batched", len(b.batches))
	}
	if cp, _ := s.Checkpoint(context.Background(), "batch"); cp != 630 {
		t.Fatalf("checkpoint %d after stop, want 630", cp)
	}
}

// TestBatchRunnerFailureKeepsTheWholeBatch: a failing batch leaves the
// checkpoint before its first event, the error names that event, and a
// restarted runner delivers the batch again from its start.
func TestBatchRunnerFailureKeepsTheWholeBatch(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "a", 40)
	boom := errors.New("boom")
	var failed []uint64
	b := &batchRecorder{rec: newRecorder(), fail: func(batch []uint64) error {
		if slices.Contains(batch, 25) {
			failed = batch
			return boom
		}
		return nil
	}}
	cfg := processor.RunnerConfig{Name: "batch", CheckpointEvery: 1}
	err := newBatchTestRunner(t, s, b.handle, cfg).Run(context.Background())
	var he *processor.HandlerError
	if !errors.As(err, &he) || !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want a HandlerError wrapping boom", err)
	}
	if he.Position != failed[0] || he.Type != "Tick" {
		t.Fatalf("HandlerError at %d (%s), want the failed batch's first event %d", he.Position, he.Type, failed[0])
	}
	if cp, _ := s.Checkpoint(context.Background(), "batch"); cp != failed[0]-1 {
		t.Fatalf("checkpoint %d after the failure, want %d (before the failed batch %v)", cp, failed[0]-1, failed)
	}
	if got := b.rec.positions(); !slices.Equal(got, seq(1, failed[0]-1)) {
		t.Fatalf("handled %v before the failure, want 1..%d", got, failed[0]-1)
	}

	b2 := &batchRecorder{rec: newRecorder()}
	stop, _ := startRunner(t, newBatchTestRunner(t, s, b2.handle, cfg))
	waitFor(t, b2.rec.at(40), "the remaining events")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := b2.rec.positions(); !slices.Equal(got, seq(failed[0], 40)) {
		t.Fatalf("after restart handled %v, want %d..40", got, failed[0])
	}
}

func TestNewBatchRunnerRefusesANilHandler(t *testing.T) {
	s := runnerStore(t, "")
	if _, err := processor.NewBatchRunner(s, s, nil, processor.RunnerConfig{Name: "x"}); err == nil {
		t.Fatal("NewBatchRunner accepted a nil handler")
	}
}
