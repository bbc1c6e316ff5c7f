package projections_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// bytesStore is a store that keeps bytes only, as a Redis store does: it
// hides the MemoryStore's ability to keep Go values, so projections encode
// every value at the commit and decode it at the next batch.
type bytesStore struct{ projections.Store }

// Commit refuses a Put without bytes, which a Redis store could not write.
func (s bytesStore) Commit(ctx context.Context, b projections.Batch) error {
	for _, w := range b.Writes {
		if p, ok := w.(projections.Put); ok && p.Value == nil {
			return fmt.Errorf("put %s without bytes", p.Key)
		}
	}
	return s.Store.Commit(ctx, b)
}

// memoryStores are the forms of MemoryStore the tests of committed values
// run over: one that keeps every value as it was committed, one that packs
// all but the last value of each kind it can pack, and one that does so
// with an index hash under which most keys clash.
func memoryStores() map[string]func() *projections.MemoryStore {
	return map[string]func() *projections.MemoryStore{
		"go values":             projections.NewMemoryStore,
		"packed":                func() *projections.MemoryStore { return projections.NewMemoryStoreHot(1) },
		"packed, keys clashing": func() *projections.MemoryStore { return projections.NewMemoryStoreClashing(1) },
	}
}

// everyProjection builds every projection of the package over store.
func everyProjection(t *testing.T, store projections.Store, reg *events.Registry) []projections.Projection {
	t.Helper()
	var ps []projections.Projection
	for _, name := range projections.Names() {
		p, err := projections.New(name, store, reg)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// applyInBatches applies recs to each of ps in batches of n events.
func applyInBatches(t *testing.T, ps []projections.Projection, recs []events.Record, n int) {
	t.Helper()
	for _, p := range ps {
		for i := 0; i < len(recs); i += n {
			if err := p.ApplyBatch(context.Background(), recs[i:min(len(recs), i+n)]); err != nil {
				t.Fatalf("%s: apply %d..: %v", p.Name(), i, err)
			}
		}
	}
}

// everyKindOfEvent records a history with every event type the projections
// fold: richHistory, world settings, risk snapshots, a second extended
// merge and two more ex-post failures (w1/s1/r1 has three then, and the
// slice holding them room for a fourth).
func everyKindOfEvent(f *fixture) {
	richHistory(f)
	f.settings(events.WorldSettingsUpdated{WorldID: "w1", RiskProfile: &events.WorldRiskProfile{Tier: "high", ClientCritical: true}}, t0.Add(40*time.Minute))
	f.recordSnapshot("w1", "v1", t0, t0.Add(41*time.Minute), 3600, "paper", "risk-bot")
	f.recordSnapshot("w1", "v2", t0.Add(time.Minute), t0.Add(42*time.Minute), 3600, "live", "risk-lead")
	f.extended("w1", "s1", "r1", 2, t0.Add(43*time.Minute))
	for i := range 2 {
		f.expost("w1", "s1", "r1", fmt.Sprintf("2026-03-02T10:0%d:00Z", i), t0.Add(time.Duration(44+i)*time.Minute))
	}
}

// A store that keeps Go values gives readers, when they first ask, exactly
// the bytes a store that keeps bytes was given at the commit, however the
// events were batched.
func TestLazyEncodingGivesTheCommittedBytes(t *testing.T) {
	f := newFixture(t)
	everyKindOfEvent(f)
	recs := f.all()
	for _, n := range []int{1, 5, len(recs)} {
		for hot, values := range map[int]*projections.MemoryStore{projections.DefaultHotValues: projections.NewMemoryStore(), 1: projections.NewMemoryStoreHot(1), 7: projections.NewMemoryStoreHot(7), 2: projections.NewMemoryStoreClashing(2)} {
			encoded := projections.NewMemoryStore()
			applyInBatches(t, everyProjection(t, values, f.reg), recs, n)
			applyInBatches(t, everyProjection(t, bytesStore{encoded}, f.reg), recs, n)

			goValues, packed := 0, 0
			for _, v := range projections.StoredValues(values) {
				if v.GoValue {
					goValues++
				}
				if v.Packed {
					packed++
				}
			}
			if goValues == 0 {
				t.Fatalf("batches of %d, %d hot: the memory store kept no Go value", n, hot)
			}
			if (packed == 0) != (hot == projections.DefaultHotValues) {
				t.Fatalf("batches of %d, %d hot: %d values packed", n, hot, packed)
			}
			if got, want := projections.Dump(values), projections.Dump(encoded); !slices.Equal(got, want) {
				t.Fatalf("batches of %d, %d hot: lazily encoded values differ from the encoded commits:\n%s", n, hot, diff(want, got))
			}
		}
	}
}

// A batch that fails leaves every committed value as it was, although its
// folds changed their copies of those values before the failure.
func TestFailedBatchLeavesStoredValuesAlone(t *testing.T) {
	for name, newStore := range memoryStores() {
		t.Run(name, func(t *testing.T) { testFailedBatchLeavesStoredValuesAlone(t, newStore) })
	}
}

func testFailedBatchLeavesStoredValuesAlone(t *testing.T, newStore func() *projections.MemoryStore) {
	f := newFixture(t)
	everyKindOfEvent(f)
	good := f.all()
	// Changes to every part of a run the store holds (r1's ex-post
	// failures have room to append in place) …
	f.extended("w1", "s1", "r1", 3, t0.Add(50*time.Minute))
	f.override("w1", "s1", "r1", "rejected", "", "", t0.Add(51*time.Minute))
	f.expost("w1", "s1", "r1", "2026-03-02T11:00:00Z", t0.Add(52*time.Minute))
	f.complete("w1", "s2", "r002", "pass", t0.Add(53*time.Minute)) // was evaluating
	f.settings(events.WorldSettingsUpdated{WorldID: "w1"}, t0.Add(55*time.Minute))
	// … then an event every run projection refuses.
	f.override("w1", "s1", "ghost", "approved", "2026-03-02T00:00:00Z", "", t0.Add(56*time.Minute))
	recs := f.all()
	bad := recs[len(good):]

	store := newStore()
	var ps []projections.Projection
	for _, p := range everyProjection(t, store, f.reg) {
		if foldsRuns(p) {
			ps = append(ps, p)
		}
	}
	applyInBatches(t, ps, good, len(good))
	before, dump := projections.StoredValues(store), projections.Dump(store)

	for _, p := range ps {
		if err := p.ApplyBatch(f.ctx, bad); foldsRuns(p) && err == nil {
			t.Fatalf("%s: folded an override of a run never submitted", p.Name())
		}
	}
	after := projections.StoredValues(store)
	for k, v := range before {
		if a := after[k]; a.Entry != v.Entry || a.Fresh != v.Fresh {
			t.Errorf("a failed batch changed %s:\nbefore %s\n after %s", k, v.Fresh, a.Fresh)
		}
	}
	if got := projections.Dump(store); !slices.Equal(got, dump) {
		t.Fatalf("a failed batch changed the store:\n%s", diff(dump, got))
	}

	// Without the refused event the same batch commits, and changes r1.
	applyInBatches(t, ps, bad[:len(bad)-1], len(bad))
	if k := "evaluation_run_current/run/" + runStream(t, "w1", "s1", "r1"); projections.StoredValues(store)[k].Fresh == before[k].Fresh {
		t.Fatalf("the batch did not change %s", k)
	}
}

// Readers see every committed value stay exactly as it was committed while
// later batches fold copies of it — some of them failing — and read through
// the projections' queries meanwhile. Run with -race, which also reports any
// write a fold makes to memory a committed value shares.
func TestFoldsLeaveStoredValuesAlone(t *testing.T) {
	for name, newStore := range memoryStores() {
		t.Run(name, func(t *testing.T) { testFoldsLeaveStoredValuesAlone(t, newStore) })
	}
}

func testFoldsLeaveStoredValuesAlone(t *testing.T, newStore func() *projections.MemoryStore) {
	f := newFixture(t)
	var runs []string
	for i := range 12 {
		id := fmt.Sprintf("r%02d", i)
		f.submit("w1", "s1", id, "paper", t0.Add(time.Duration(i)*time.Second))
		runs = append(runs, id)
	}
	f.publish("w1", 1, `{"v":1}`, t0.Add(time.Minute))
	first := f.all()
	for i, id := range runs {
		at := t0.Add(time.Duration(10+i) * time.Minute)
		f.complete("w1", "s1", id, verdicts[i%3], at)
		f.extended("w1", "s1", id, 1, at.Add(time.Second))
		f.override("w1", "s1", id, "approved", "2026-03-02T00:00:00Z", "2026-04-01T00:00:00Z", at.Add(2*time.Second))
		for k := range 3 {
			f.expost("w1", "s1", id, fmt.Sprintf("2026-03-02T1%d:00:00Z", k), at.Add(time.Duration(3+k)*time.Second))
		}
		f.extended("w1", "s1", id, 2, at.Add(6*time.Second))
	}
	f.publish("w1", 2, `{"v":2}`, t0.Add(time.Hour))
	later := f.all()[len(first):]
	f.override("w1", "s1", "ghost", "rejected", "", "", t0.Add(2*time.Hour))
	ghost := f.all()[len(first)+len(later):]

	store := newStore()
	ps := everyProjection(t, store, f.reg)
	applyInBatches(t, ps, first, len(first))
	current, err := projections.NewRunCurrent(store, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	history, _ := projections.NewRunHistory(store, f.reg)
	records, _ := projections.NewInvariants(store, f.reg)
	invariants := projections.InvariantReader{Records: records, Runs: current}

	ctx, stop := context.WithCancel(f.ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := range 2 {
		wg.Go(func() {
			seen := map[any]string{}
			for i := 0; ctx.Err() == nil; i++ {
				for k, v := range projections.StoredValues(store) {
					if was, ok := seen[v.Entry]; ok && was != v.Fresh {
						errs <- fmt.Errorf("committed value %s changed:\nwas %s\nnow %s", k, was, v.Fresh)
						return
					}
					seen[v.Entry] = v.Fresh
				}
				id := runs[(i+r)%len(runs)]
				_, err1 := current.Get(ctx, "w1", "s1", id)
				_, err2 := history.History(ctx, "w1", "s1", id)
				_, err3 := invariants.World(ctx, "w1")
				_, err4 := current.ListMetrics(ctx, "w1", "paper", "", 0)
				if err := errors.Join(err1, err2, err3, err4); err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := 0; i < len(later); i += 3 {
		batch := later[i:min(len(later), i+3)]
		for _, p := range ps {
			// The batch with an event the run projections refuse, then
			// without it.
			if foldsRuns(p) {
				if err := p.ApplyBatch(f.ctx, append(slices.Clone(batch), ghost...)); err == nil {
					t.Fatalf("%s: folded an override of a run never submitted", p.Name())
				}
			}
			if err := p.ApplyBatch(f.ctx, batch); err != nil {
				t.Errorf("%s: %v", p.Name(), err)
			}
		}
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// foldsRuns reports whether p folds the events of run streams (and refuses
// one on a run that was never submitted).
func foldsRuns(p projections.Projection) bool {
	switch p.Name() {
	case projections.RunCurrentName, projections.RunHistoryName, projections.ApprovedOverridesName:
		return true
	}
	return false
}
