package projections_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/projections"
)

var verdicts = []string{"pass", "warn", "fail"}

// seedWorld submits n runs to w1 (strategies s0..s3, stages backtest and
// paper) and evaluates every second one; two runs go to w2. It returns the
// runs of w1 in submission order.
func seedWorld(f *fixture, n int) []string {
	var ids []string
	at := t0
	for i := range n {
		at = at.Add(time.Second)
		id := fmt.Sprintf("r%03d", i)
		stage := []string{"backtest", "paper"}[i%2]
		f.submit("w1", fmt.Sprintf("s%d", i%4), id, stage, at)
		if i%3 != 2 {
			f.complete("w1", fmt.Sprintf("s%d", i%4), id, verdicts[i%3], at)
		}
		ids = append(ids, id)
	}
	f.submit("w2", "s0", "other", "paper", at.Add(time.Second))
	f.submit("w2", "s0", "other2", "paper", at.Add(2*time.Second))
	return ids
}

// pageAll lists every page of q and returns the run ids in order, failing on
// an over-long page.
func pageAll(t *testing.T, runs *projections.RunCurrent, world string, q projections.ListQuery) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		p, err := runs.List(t.Context(), world, q)
		if err != nil {
			t.Fatalf("list %+v: %v", q, err)
		}
		if q.Limit > 0 && len(p.Runs) > q.Limit {
			t.Fatalf("page of %d runs, limit %d", len(p.Runs), q.Limit)
		}
		for _, r := range p.Runs {
			ids = append(ids, r.RunID)
		}
		if p.NextCursor == "" {
			return ids
		}
		if len(p.Runs) == 0 || pages > 1000 {
			t.Fatalf("empty page %d with a cursor", pages)
		}
		q.Cursor = p.NextCursor
	}
}

func TestRunListFiltersAndPages(t *testing.T) {
	f := newFixture(t)
	ids := seedWorld(f, 24)
	ps := newProjections(t, f.reg)
	ps.applyBatch(t, f.all())

	type run struct{ id, strategy, stage, status, verdict string }
	var all []run
	for i, id := range ids {
		r := run{id: id, strategy: fmt.Sprintf("s%d", i%4), stage: []string{"backtest", "paper"}[i%2], status: "evaluating"}
		if i%3 != 2 {
			r.status, r.verdict = "evaluated", verdicts[i%3]
		}
		all = append(all, r)
	}
	queries := []projections.ListQuery{
		{},
		{Strategy: "s1"},
		{Stage: "Paper "},
		{Status: projections.StatusEvaluating},
		{Status: projections.StatusEvaluated},
		{Verdict: "warn"},
		{Strategy: "s2", Verdict: "pass"},
		{Stage: "backtest", Status: projections.StatusEvaluated, Verdict: "fail"},
		{Strategy: "s9"},
	}
	for _, q := range queries {
		var want []string
		for _, r := range all {
			if (q.Strategy == "" || r.strategy == q.Strategy) && (q.Stage == "" || r.stage == "paper" && q.Stage == "Paper " || r.stage == q.Stage) &&
				(q.Status == "" || r.status == q.Status) && (q.Verdict == "" || r.verdict == q.Verdict) {
				want = append(want, r.id)
			}
		}
		for _, limit := range []int{1, 3, 7, 0} {
			q.Limit = limit
			if got := pageAll(t, ps.runs, "w1", q); !slices.Equal(got, want) {
				t.Errorf("query %+v:\n got %v\nwant %v", q, got, want)
			}
		}
	}
	if got := pageAll(t, ps.runs, "w2", projections.ListQuery{}); !slices.Equal(got, []string{"other", "other2"}) {
		t.Errorf("w2: %v", got)
	}
	if got := pageAll(t, ps.runs, "nowhere", projections.ListQuery{}); len(got) != 0 {
		t.Errorf("unknown world: %v", got)
	}
	p, err := ps.runs.List(f.ctx, "w1", projections.ListQuery{Limit: 10_000})
	if err != nil || len(p.Runs) != len(ids) {
		t.Errorf("large limit: %d runs, %v", len(p.Runs), err)
	}
	for _, q := range []projections.ListQuery{{Status: "pass"}, {Verdict: "evaluated"}, {Limit: -1}} {
		if _, err := ps.runs.List(f.ctx, "w1", q); !errors.Is(err, projections.ErrInvalidQuery) {
			t.Errorf("query %+v: %v, want ErrInvalidQuery", q, err)
		}
	}
	for _, c := range []string{"x", "YWJj", "$$$"} {
		if _, err := ps.runs.List(f.ctx, "w1", projections.ListQuery{Cursor: c}); !errors.Is(err, projections.ErrInvalidCursor) {
			t.Errorf("cursor %q: %v, want ErrInvalidCursor", c, err)
		}
	}
}

// TestRunListStableUnderConcurrentAppends pages through a world while a
// writer submits new runs and evaluates old ones, and a live subscription
// folds them into the projection.
func TestRunListStableUnderConcurrentAppends(t *testing.T) {
	f := newFixture(t)
	initial := seedWorld(f, 30)
	ps := newProjections(t, f.reg)
	ps.applyBatch(t, f.all())
	pending := map[string]bool{}      // evaluating at the start
	willEvaluate := map[string]bool{} // evaluated by the writer meanwhile
	for i, id := range initial {
		if i%3 == 2 {
			pending[id] = true
		}
	}
	for i := 0; i < 10; i += 2 {
		willEvaluate[initial[3*i+2]] = true
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cp, err := ps.runs.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subDone := make(chan error, 1)
	go func() { subDone <- f.es.Subscribe(ctx, cp, ps.runs.Apply) }()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the writer: new runs, and evaluations of half the pending ones
		defer wg.Done()
		at := t0.Add(time.Hour)
		for i := range 30 {
			at = at.Add(time.Second)
			f.submit("w1", "s0", fmt.Sprintf("r%03d", 100+i), "paper", at)
			if id := initial[min(3*i+2, len(initial)-1)]; willEvaluate[id] && i < 10 {
				f.complete("w1", fmt.Sprintf("s%d", (3*i+2)%4), id, "pass", at)
			}
		}
	}()

	for round := 0; round < 5; round++ {
		for _, q := range []projections.ListQuery{{Limit: 4}, {Limit: 3, Status: projections.StatusEvaluating}} {
			got := pageAll(t, ps.runs, "w1", q)
			seen := map[string]bool{}
			for i, id := range got {
				if seen[id] {
					t.Fatalf("round %d %+v: %s listed twice: %v", round, q, id, got)
				}
				seen[id] = true
				if i > 0 && got[i-1] >= id {
					t.Fatalf("round %d %+v: out of order at %s: %v", round, q, id, got)
				}
			}
			// Every run that matches throughout the listing is in it.
			for _, id := range initial {
				throughout := q.Status == "" || pending[id] && !willEvaluate[id]
				if throughout && !seen[id] {
					t.Fatalf("round %d %+v: initial run %s missing: %v", round, q, id, got)
				}
			}
		}
	}
	wg.Wait()
	// Once the projection has caught up, the listing holds exactly the
	// stored runs, and the still-pending runs are the evaluating ones.
	head, err := f.es.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if cp, _ := ps.runs.Checkpoint(ctx); cp == head {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("projection did not catch up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := pageAll(t, ps.runs, "w1", projections.ListQuery{Limit: 7}); len(got) != 60 {
		t.Fatalf("after the writer: %d runs, want 60", len(got))
	}
	var wantPending []string
	for _, id := range initial {
		if pending[id] && !willEvaluate[id] {
			wantPending = append(wantPending, id)
		}
	}
	for i := range 30 {
		wantPending = append(wantPending, fmt.Sprintf("r%03d", 100+i))
	}
	if got := pageAll(t, ps.runs, "w1", projections.ListQuery{Limit: 5, Status: projections.StatusEvaluating}); !slices.Equal(got, wantPending) {
		t.Fatalf("evaluating runs:\n got %v\nwant %v", got, wantPending)
	}
	cancel()
	if err := <-subDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("subscription: %v", err)
	}
}
