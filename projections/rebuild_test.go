package projections_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/worldval/worldval/projections"
)

// richHistory records runs in two worlds, a full lifecycle, policies and
// overrides.
func richHistory(f *fixture) {
	seedWorld(f, 24)
	for _, step := range lifecycleSteps {
		step(f)
	}
	f.publish("w1", 1, `{"v":1}`, t0.Add(2*time.Minute))
	f.publish("w1", 2, `{"v":2}`, t0.Add(12*time.Minute))
	f.setDefault("w1", 2, 1, t0.Add(25*time.Minute))
	f.override("w1", "s0", "r004", "approved", "2026-03-02T00:00:00Z", "2026-04-01T00:00:00Z", t0.Add(26*time.Minute))
	f.override("w1", "s0", "r004", "rejected", "", "", t0.Add(27*time.Minute))
	f.override("w1", "s1", "r001", "approved", "2026-03-02T00:00:00Z", "2026-05-01T00:00:00Z", t0.Add(28*time.Minute))
}

func TestRebuildEqualsIncremental(t *testing.T) {
	f := newFixture(t)
	richHistory(f)
	recs := f.all()
	head := recs[len(recs)-1].GlobalPosition

	incremental := newProjections(t, f.reg)
	incremental.applyEach(t, recs)

	rebuilt := newProjections(t, f.reg)
	for _, p := range rebuilt.all() {
		var reports []projections.Progress
		final, err := projections.Rebuild(f.ctx, f.es, p, projections.WithPageSize(7),
			projections.WithProgress(func(pr projections.Progress) { reports = append(reports, pr) }))
		if err != nil {
			t.Fatalf("rebuild %s: %v", p.Name(), err)
		}
		if !final.Done || final.Position != head || final.Events != len(recs) || final.Head != head || final.Projection != p.Name() {
			t.Fatalf("rebuild %s: final progress %+v, head %d, %d events", p.Name(), final, head, len(recs))
		}
		if want := (len(recs) + 7) / 7; len(reports) != want {
			t.Errorf("rebuild %s: %d progress reports, want %d", p.Name(), len(reports), want)
		}
		for i := 1; i < len(reports); i++ {
			if reports[i].Position <= reports[i-1].Position && reports[i].Events != reports[i-1].Events {
				t.Errorf("rebuild %s: progress went back: %+v then %+v", p.Name(), reports[i-1], reports[i])
			}
		}
		if last := reports[len(reports)-1]; !last.Done || last != final {
			t.Errorf("rebuild %s: last report %+v, final %+v", p.Name(), last, final)
		}
	}
	if a, b := projections.Dump(incremental.store), projections.Dump(rebuilt.store); !slices.Equal(a, b) {
		t.Fatalf("rebuilt store differs from the incremental one:\n%s", diff(a, b))
	}

	// A rebuild needs a fresh store.
	if _, err := projections.Rebuild(f.ctx, f.es, rebuilt.runs); err == nil {
		t.Fatal("rebuild into a used store succeeded")
	}
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	fresh := newProjections(t, f.reg)
	if _, err := projections.Rebuild(ctx, f.es, fresh.runs); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled rebuild: %v, want context.Canceled", err)
	}
}

func TestReapplyIsIdempotent(t *testing.T) {
	f := newFixture(t)
	richHistory(f)
	recs := f.all()
	ps := newProjections(t, f.reg)
	ps.applyBatch(t, recs)
	want := projections.Dump(ps.store)

	ps.applyBatch(t, recs)      // the whole history again
	ps.applyEach(t, recs)       // event by event
	ps.applyBatch(t, recs[10:]) // an overlapping tail
	ps.applyEach(t, recs[3:4])  // one old event
	if got := projections.Dump(ps.store); !slices.Equal(got, want) {
		t.Fatalf("re-applying changed the store:\n%s", diff(want, got))
	}

	// Delivered in overlapping pages, as a restarted subscription would.
	paged := newProjections(t, f.reg)
	for i := 0; i < len(recs); i += 5 {
		paged.applyBatch(t, recs[max(0, i-3):min(len(recs), i+5)])
	}
	if got := projections.Dump(paged.store); !slices.Equal(got, want) {
		t.Fatalf("overlapping pages differ from one batch:\n%s", diff(want, got))
	}
}

// diff lists the lines only in a (-) or only in b (+).
func diff(a, b []string) string {
	in := func(s []string, x string) bool { _, ok := slices.BinarySearch(s, x); return ok }
	out := ""
	for _, x := range a {
		if !in(b, x) {
			out += "- " + x + "\n"
		}
	}
	for _, x := range b {
		if !in(a, x) {
			out += "+ " + x + "\n"
		}
	}
	return out
}
