package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/extended"
)

// noRuns is a [RunSource] of worlds without evaluated runs.
type noRuns struct{}

func (noRuns) EvaluatedRuns(context.Context, string) ([]projections.RunView, error) { return nil, nil }

// checkHot checks what the index keeps per run against its slots: each run
// is the latest of as many slots as it says, and the index holds metrics
// exactly for the runs not evaluated yet and the latest of some slot.
func checkHot(t *testing.T, ix *worldIndex, w *worldRuns) {
	t.Helper()
	latestIn := map[int32]int32{}
	for _, id := range w.slots {
		latestIn[id]++
	}
	for _, id := range w.order {
		r := &ix.runs[id]
		if r.latestIn != latestIn[id] {
			t.Fatalf("run %d is the latest of %d slots, says %d", id, latestIn[id], r.latestIn)
		}
		if _, hot := ix.hot[id]; hot != (!r.evaluated || r.latestIn > 0) {
			t.Fatalf("run %d (evaluated %v, latest of %d slots): metrics kept %v", id, r.evaluated, r.latestIn, hot)
		}
	}
}

// TestWorldIndexCurrentKeepsEveryCohort: over a random history — runs of
// several strategies in two stages and two campaigns, evaluated out of
// submission order, with equal timestamps and later overrides that move an
// old run to the front or (a caller's earlier time) back — the
// latest-per-slot list a run trigger's pass uses gives every stage and
// campaign cohort, the latest run of every strategy and the set of
// strategies exactly as the list of all evaluated runs does, and the index
// keeps metrics for those runs only.
func TestWorldIndexCurrentKeepsEveryCohort(t *testing.T) {
	f := newFixture(t)
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		ix := newWorldIndex(noRuns{}, f.repo)
		if _, err := ix.current(t.Context(), "w"); err != nil {
			t.Fatal(err)
		}
		w := ix.worlds["w"]
		base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Unix()
		stamp := func() int64 { return base + rng.Int64N(20) }
		var pending []int32
		update := func(id int32, f func(r *runRec)) {
			ix.mu.Lock()
			defer ix.mu.Unlock()
			before := ix.runs[id]
			f(&ix.runs[id])
			ix.settle(w, id, before)
		}
		for i := range 300 {
			s := runSpec{stream: fmt.Sprintf("evaluation-run/w/s%d/r%d", i%7, i), runID: fmt.Sprintf("r%d", i), strategy: fmt.Sprintf("s%d", i%7),
				stage: []string{"backtest", "paper"}[rng.IntN(2)], created: stamp(), metrics: []byte(`{}`)}
			if rng.IntN(3) == 0 {
				s.campaign = []string{"c1", "c2"}[rng.IntN(2)]
			}
			s.updated = s.created
			ix.mu.Lock()
			id := ix.add(w, s)
			ix.mu.Unlock()
			pending = append(pending, id)
			// Evaluate a random waiting run, or touch an evaluated one.
			switch k := rng.IntN(4); {
			case k < 3 && len(pending) > 0:
				j := rng.IntN(len(pending))
				p := pending[j]
				pending = slices.Delete(pending, j, j+1)
				update(p, func(r *runRec) { r.evaluated, r.updated = true, max(r.updated, stamp()) })
			default:
				update(w.order[rng.IntN(len(w.order))], func(r *runRec) { r.updated = stamp() })
			}
			checkHot(t, ix, w)
			if i%25 != 24 {
				continue
			}
			cur, err := ix.current(t.Context(), "w")
			if err != nil {
				t.Fatal(err)
			}
			all, err := ix.evaluated(t.Context(), "w")
			if err != nil {
				t.Fatal(err)
			}
			ids := func(vs []runView) []string {
				out := make([]string, len(vs))
				for i, v := range vs {
					out[i] = v.StrategyID + "/" + v.RunID
				}
				return out
			}
			for _, g := range []*cohortGroup{{stage: "backtest"}, {stage: "paper"}, {stage: "paper", campaign: "c1"}, {stage: "backtest", campaign: "c2"}} {
				if got, want := ids(cohortOf(cur, g, nil)), ids(cohortOf(all, g, nil)); !slices.Equal(got, want) {
					t.Fatalf("seed %d, run %d, cohort %+v: %v over the latest runs, %v over all", seed, i, *g, got, want)
				}
			}
			keepAll := func(*runView) bool { return true }
			if got, want := ids(latestPerStrategy(cur, keepAll)), ids(latestPerStrategy(all, keepAll)); !slices.Equal(got, want) {
				t.Fatalf("seed %d, run %d: latest per strategy %v over the latest runs, %v over all", seed, i, got, want)
			}
		}
	}
}

// TestWorldIndexReadsDroppedMetricsBack: a run that is no longer the latest
// of any slot gives up its metrics, and when an override makes it the
// latest again, its metrics are read back from its stream — the document
// it had, with its extended patch applied.
func TestWorldIndexReadsDroppedMetricsBack(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w", testPolicy)
	ix := newWorldIndex(noRuns{}, f.repo)
	if _, err := ix.current(f.ctx, "w"); err != nil { // seeds the world, with no runs yet
		t.Fatal(err)
	}
	seen := map[string]uint64{} // the stream versions observed
	observe := func(stream string) {
		t.Helper()
		recs, err := f.store.ReadStream(f.ctx, stream, seen[stream]+1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range recs {
			if err := ix.observe(f.ctx, &recs[i]); err != nil {
				t.Fatal(err)
			}
			seen[stream] = recs[i].StreamVersion
		}
	}
	evaluate := func(run string, at time.Time) string {
		t.Helper()
		rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w", StrategyID: "s1", RunID: run, Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
		ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return at }))
		if err != nil {
			t.Fatal(err)
		}
		if err := ev.Handle(f.ctx, rec); err != nil {
			t.Fatal(err)
		}
		observe(rec.Stream)
		return rec.Stream
	}
	r1 := evaluate("r1", fixedNow)
	// An extended result patches r1's metrics.
	if _, err := aggregates.Update(f.ctx, f.repo, r1, func(r *evaluationrun.Run) ([]events.Event, error) {
		return r.RecordExtended(f.reg, evaluationrun.RecordExtended{
			Meta: events.Meta{IdempotencyKey: "ext-1", OccurredAt: fixedNow},
			Result: events.ExtendedValidationCompleted{Stage: "backtest", Results: json.RawMessage(`{}`),
				MetricsPatch: json.RawMessage(`{"risk":{"incremental_var_99":0.007}}`)},
		})
	}); err != nil {
		t.Fatal(err)
	}
	observe(r1)
	v1, ok := ix.viewOf("w", r1)
	if !ok {
		t.Fatal("r1 is not in the index")
	}
	before, err := ix.metrics(f.ctx, v1)
	if err != nil || before == nil || reflect.DeepEqual(before, map[string]any{}) {
		t.Fatalf("r1's metrics: %v, %v", before, err)
	}
	if got := valueAt(before, "risk", "incremental_var_99"); got != 0.007 {
		t.Fatalf("r1's metrics without its patch: incremental_var_99 = %v", got)
	}

	r2 := evaluate("r2", fixedNow.Add(time.Hour))
	v2, _ := ix.viewOf("w", r2)
	if _, hot := ix.hot[v1.id]; hot {
		t.Fatal("r1 keeps its metrics behind r2, the latest run of its only slot")
	}
	if _, hot := ix.hot[v2.id]; !hot {
		t.Fatal("r2, the latest run, has no metrics")
	}

	// An override a day later moves r1 back to the front.
	if _, err := aggregates.Update(f.ctx, f.repo, r1, func(r *evaluationrun.Run) ([]events.Event, error) {
		return r.RecordOverride(f.reg, evaluationrun.RecordOverride{Meta: events.Meta{IdempotencyKey: "ov-1", OccurredAt: fixedNow.Add(24 * time.Hour)}, Status: "rejected"})
	}); err != nil {
		t.Fatal(err)
	}
	observe(r1)
	cur, err := ix.current(f.ctx, "w")
	if err != nil || len(cur) != 1 || cur[0].RunID != "r1" {
		t.Fatalf("current %+v, %v: want r1 back as the latest", cur, err)
	}
	if _, hot := ix.hot[v2.id]; hot {
		t.Fatal("r2 keeps its metrics behind r1")
	}
	after, err := ix.metrics(f.ctx, cur[0])
	if err != nil || !reflect.DeepEqual(after, before) {
		t.Fatalf("r1's metrics read back: %v, %v; want %v", after, err, before)
	}
	// And they are kept again.
	if hot := ix.hot[v1.id]; hot == nil || !hot.loaded {
		t.Fatal("r1's metrics read back are not kept")
	}
	// A run's metrics are those of its stream even when the index does
	// not keep them.
	stored := f.run(t, r2)
	want, _ := extended.DecodeObject(stored.Metrics)
	if got, err := ix.metrics(f.ctx, v2); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("r2's metrics: %v, %v", got, err)
	}
}

// TestWorldIndexHoldsNoPointerPerRun: the index's records of its runs are
// pointer-free, so that the runs it keeps cost the collector nothing to
// mark or scan.
func TestWorldIndexHoldsNoPointerPerRun(t *testing.T) {
	var hasPointers func(reflect.Type) bool
	hasPointers = func(ty reflect.Type) bool {
		switch ty.Kind() {
		case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
			return true
		case reflect.Struct:
			for i := range ty.NumField() {
				if hasPointers(ty.Field(i).Type) {
					return true
				}
			}
		case reflect.Array:
			return hasPointers(ty.Elem())
		}
		return false
	}
	for _, ty := range []reflect.Type{reflect.TypeFor[runRec](), reflect.TypeFor[slotKey](), reflect.TypeFor[arenaRef]()} {
		if hasPointers(ty) {
			t.Errorf("%v holds a pointer", ty)
		}
	}
}

// TestArenaKeepsItsStrings: strings put in the arena read back unchanged
// after many more were put, across chunks, including empty ones and ones
// longer than a chunk.
func TestArenaKeepsItsStrings(t *testing.T) {
	var a arena
	var refs []arenaRef
	var want []string
	for i := range 20000 {
		s := fmt.Sprintf("evaluation-run/w/s%d/r%d", i%13, i)
		switch i {
		case 7:
			s = ""
		case 9000:
			s = string(make([]byte, arenaChunk+5))
		}
		refs, want = append(refs, a.put(s)), append(want, s)
	}
	for i, ref := range refs {
		if got := a.get(ref); got != want[i] {
			t.Fatalf("string %d: %q, want %q", i, got, want[i])
		}
	}
	if len(a.chunks) < 2 {
		t.Fatalf("%d chunks: the test did not cross one", len(a.chunks))
	}
}

// TestNoTimeIsTheZeroTime: a timestamp the index does not know sorts as the
// zero time does, which is what a run without one reads as from its
// aggregate.
func TestNoTimeIsTheZeroTime(t *testing.T) {
	if noTime != (time.Time{}).Unix() {
		t.Fatalf("noTime = %d, the zero time is %d", noTime, (time.Time{}).Unix())
	}
	if got := unixSecondsOr("", noTime); got != noTime {
		t.Fatalf("an empty timestamp reads as %d", got)
	}
	if got, want := unixSecondsOr("2026-11-26T10:00:05Z", noTime), time.Date(2026, 11, 26, 10, 0, 5, 0, time.UTC).Unix(); got != want {
		t.Fatalf("a timestamp reads as %d, want %d", got, want)
	}
}
