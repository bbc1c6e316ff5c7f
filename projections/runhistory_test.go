package projections_test

import (
	"errors"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

var lifecycleRecordedAt = []string{
	"2026-03-02T09:01:00.000000000Z", "2026-03-02T09:05:00.000000000Z", "2026-03-02T09:10:00.000000000Z", "2026-03-02T09:20:00.000000000Z", "2026-03-02T09:30:00.000000000Z",
}

func TestRunHistoryOneRevisionPerChange(t *testing.T) {
	f := newFixture(t)
	for _, step := range lifecycleSteps {
		step(f)
	}
	recs := f.all()
	if len(recs) != 11 { // submission, 7 evaluation events, extended, override, ex-post
		t.Fatalf("%d events stored, want 11", len(recs))
	}
	live, batched := newProjections(t, f.reg), newProjections(t, f.reg)
	live.applyEach(t, recs)
	batched.applyBatch(t, recs)
	for name, ps := range map[string]*projectionSet{"event by event": live, "batched": batched} {
		h, err := ps.history.History(f.ctx, "w1", "s1", "r1")
		if err != nil {
			t.Fatalf("%s: history: %v", name, err)
		}
		if len(h) != len(lifecycle) {
			t.Fatalf("%s: %d revisions, want %d", name, len(h), len(lifecycle))
		}
		for i, e := range h {
			if e.Revision != i+1 {
				t.Errorf("%s: entry %d has revision %d", name, i, e.Revision)
			}
			if e.RecordedAt != lifecycleRecordedAt[i] {
				t.Errorf("%s: revision %d recorded_at %s, want %s", name, e.Revision, e.RecordedAt, lifecycleRecordedAt[i])
			}
			wantJSON(t, name+": payload", e.Payload, lifecycle[i])
		}
		// Current state = last revision.
		cur, err := ps.runs.Get(f.ctx, "w1", "s1", "r1")
		if err != nil {
			t.Fatal(err)
		}
		wantJSON(t, name+": current = last revision", cur, lifecycle[len(lifecycle)-1])
		r2, err := ps.history.Revision(f.ctx, "w1", "s1", "r1", 2)
		if err != nil || r2.Revision != 2 {
			t.Fatalf("%s: revision 2: %+v, %v", name, r2.Revision, err)
		}
	}
	wantJSON(t, "history entry 1", mustHistory(t, live, "w1", "s1", "r1")[0], `{"revision":1,"recorded_at":"2026-03-02T09:01:00.000000000Z","payload":`+lifecycle[0]+`}`)
}

func mustHistory(t *testing.T, ps *projectionSet, w, s, r string) []projections.HistoryEntry {
	t.Helper()
	h, err := ps.history.History(t.Context(), w, s, r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// An evaluation delivered one event at a time opens its revision with the
// first event and completes it with the others; it never becomes two.
func TestRunHistoryEvaluationDeliveredPiecemeal(t *testing.T) {
	f := newFixture(t)
	lifecycleSteps[0](f)
	lifecycleSteps[1](f)
	recs := f.all()
	ps := newProjections(t, f.reg)
	ps.applyEach(t, recs[:3]) // submission, MetricsComputed, one RuleEvaluated
	h := mustHistory(t, ps, "w1", "s1", "r1")
	if len(h) != 2 || h[1].Payload.Status != projections.StatusEvaluating || len(h[1].Payload.Validation.Results) != 1 {
		t.Fatalf("mid-append: %d revisions, latest %s with %d results", len(h), h[len(h)-1].Payload.Status, len(h[len(h)-1].Payload.Validation.Results))
	}
	ps.applyEach(t, recs[3:])
	h = mustHistory(t, ps, "w1", "s1", "r1")
	if len(h) != 2 {
		t.Fatalf("%d revisions, want 2", len(h))
	}
	wantJSON(t, "revision 2", h[1].Payload, lifecycle[1])
}

// Revisions stay gap-free over many changes, and two runs have independent
// numbering; an override that merely repeats a status is still a recorded
// change (the aggregate decides no-ops, not the read model).
func TestRunHistoryGapFreePerRun(t *testing.T) {
	f := newFixture(t)
	at := t0
	tick := func() time.Time { at = at.Add(time.Second); return at }
	f.submit("w1", "s1", "a", "live", tick())
	f.submit("w1", "s1", "b", "live", tick())
	f.complete("w1", "s1", "a", "pass", tick())
	for i, st := range []string{"approved", "rejected", "approved", "none"} {
		f.override("w1", "s1", "a", st, "2026-03-02T09:00:0"+string(rune('0'+i))+"Z", "2026-04-01T00:00:00Z", tick())
		f.expost("w1", "s1", "b", events.FormatTime(at), tick())
	}
	ps := newProjections(t, f.reg)
	ps.applyEach(t, f.all())
	for run, want := range map[string]int{"a": 6, "b": 5} {
		h := mustHistory(t, ps, "w1", "s1", run)
		if len(h) != want {
			t.Fatalf("run %s: %d revisions, want %d", run, len(h), want)
		}
		for i, e := range h {
			if e.Revision != i+1 || e.Payload.Revision != i+1 {
				t.Fatalf("run %s: entry %d has revision %d (payload %d)", run, i, e.Revision, e.Payload.Revision)
			}
		}
	}
	for _, rev := range []int{0, 7} {
		if _, err := ps.history.Revision(f.ctx, "w1", "s1", "a", rev); !errors.Is(err, projections.ErrNotFound) {
			t.Errorf("revision %d: %v, want ErrNotFound", rev, err)
		}
	}
	if _, err := ps.history.History(f.ctx, "w1", "s1", "zzz"); !errors.Is(err, projections.ErrNotFound) {
		t.Errorf("history of an unknown run: %v, want ErrNotFound", err)
	}
}
