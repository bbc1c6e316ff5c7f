package projections_test

import (
	"context"
	"errors"
	"testing"

	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/projections"
)

// A batch whose fold fails part-way commits nothing: neither the data of the
// events before the failure nor the checkpoint.
func TestFailedBatchLeavesNothing(t *testing.T) {
	f := newFixture(t)
	f.submit("w1", "s1", "a", "paper", t0)
	f.complete("w1", "s1", "a", "pass", t0)
	f.override("w1", "s1", "ghost", "approved", "2026-03-02T00:00:00Z", "", t0) // no submission
	f.submit("w1", "s1", "b", "paper", t0)
	recs := f.all()

	ps := newProjections(t, f.reg)
	for _, p := range []projections.Projection{ps.runs, ps.history, ps.overrides} {
		if err := p.ApplyBatch(f.ctx, recs); err == nil {
			t.Fatalf("%s: batch with an event before its run's submission succeeded", p.Name())
		}
		if cp, err := p.Checkpoint(f.ctx); err != nil || cp != 0 {
			t.Fatalf("%s: checkpoint %d, %v after a failed batch", p.Name(), cp, err)
		}
	}
	if dump := projections.Dump(ps.store); len(dump) != 0 {
		t.Fatalf("a failed batch left data:\n%s", diff(nil, dump))
	}
	if _, err := ps.runs.Get(f.ctx, "w1", "s1", "a"); !errors.Is(err, projections.ErrNotFound) {
		t.Fatalf("run a visible after a failed batch: %v", err)
	}

	// The events before the bad one commit on their own.
	n := len(recs) - 2
	if err := ps.runs.ApplyBatch(f.ctx, recs[:n]); err != nil {
		t.Fatal(err)
	}
	if cp, _ := ps.runs.Checkpoint(f.ctx); cp != recs[n-1].GlobalPosition {
		t.Fatalf("checkpoint %d, want %d", cp, recs[n-1].GlobalPosition)
	}
}

// interloper is a projection store on which another writer commits just
// before the projection does, as when a lease is lost.
type interloper struct {
	projections.Store
	before func()
}

func (s *interloper) Commit(ctx context.Context, b projections.Batch) error {
	if s.before != nil {
		s.before()
		s.before = nil
	}
	return s.Store.Commit(ctx, b)
}

func TestConcurrentWriterLosesWithoutWriting(t *testing.T) {
	f := newFixture(t)
	f.submit("w1", "s1", "a", "paper", t0)
	f.submit("w1", "s1", "b", "paper", t0)
	recs := f.all()
	mem := projections.NewMemoryStore()
	other, err := projections.NewRunCurrent(mem, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	s := &interloper{Store: mem, before: func() {
		if err := other.Apply(f.ctx, recs[0]); err != nil {
			t.Error(err)
		}
	}}
	p, err := projections.NewRunCurrent(s, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ApplyBatch(f.ctx, recs); !errors.Is(err, projections.ErrCheckpointMismatch) {
		t.Fatalf("apply: %v, want ErrCheckpointMismatch", err)
	}
	if _, err := p.Get(f.ctx, "w1", "s1", "b"); !errors.Is(err, projections.ErrNotFound) {
		t.Fatalf("the losing writer's run is visible: %v", err)
	}
	// Retrying from the new checkpoint skips what the other writer did.
	if err := p.ApplyBatch(f.ctx, recs); err != nil {
		t.Fatal(err)
	}
	if cp, _ := p.Checkpoint(f.ctx); cp != recs[1].GlobalPosition {
		t.Fatalf("checkpoint %d", cp)
	}
}

func TestConstructorsRefuseNilDependencies(t *testing.T) {
	f := newFixture(t)
	mem := projections.NewMemoryStore()
	if _, err := projections.NewRunCurrent(nil, f.reg); err == nil {
		t.Error("NewRunCurrent(nil store) succeeded")
	}
	if _, err := projections.NewRunHistory(mem, nil); err == nil {
		t.Error("NewRunHistory(nil registry) succeeded")
	}
	if _, err := projections.NewAsOf(nil, f.reg); err == nil {
		t.Error("NewAsOf(nil store) succeeded")
	}
}

func TestNewByName(t *testing.T) {
	reg := newFixture(t).reg
	for _, name := range projections.Names() {
		p, err := projections.New(name, projections.NewMemoryStore(), reg)
		if err != nil || p.Name() != name {
			t.Fatalf("New(%q) = %v, %v", name, p, err)
		}
		var _ eventstore.Handler = p.Apply // a projection is a subscription handler
	}
	if _, err := projections.New("nope", projections.NewMemoryStore(), reg); err == nil {
		t.Fatal("New accepted an unknown name")
	}
}
