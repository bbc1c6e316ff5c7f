package projections_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/worldval/worldval/projections"
)

func TestAsOfAnswersAtSeveralInstants(t *testing.T) {
	f := newFixture(t)
	for _, step := range lifecycleSteps { // t0 + 1, 5, 10, 20, 30 min
		step(f)
	}
	f.publish("w1", 1, `{"v":1}`, t0.Add(2*time.Minute))
	f.publish("w1", 2, `{"v":2}`, t0.Add(12*time.Minute))
	f.setDefault("w1", 2, 1, t0.Add(25*time.Minute))
	f.submit("w1", "s2", "later", "backtest", t0.Add(40*time.Minute))

	// A run index that lags behind the store: it has seen only the first
	// three events. World queries must still find every stream.
	lagging := newProjections(t, f.reg)
	lagging.applyBatch(t, f.all()[:3])
	full := newProjections(t, f.reg)
	full.applyBatch(t, f.all())
	plain, err := projections.NewAsOf(f.es, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	indexed, err := projections.NewAsOf(f.es, f.reg, projections.WithRunIndex(lagging.runs))
	if err != nil {
		t.Fatal(err)
	}
	fullHistory := mustHistory(t, full, "w1", "s1", "r1")

	cases := []struct {
		at        time.Duration // after t0
		revision  int           // of w1/s1/r1, 0: not yet submitted
		policies  int           // versions published
		def       int           // default version
		runs      []string      // listed in w1
		overrides int
	}{
		{at: 0},
		{at: time.Minute, revision: 1, runs: []string{"r1"}},
		{at: 7 * time.Minute, revision: 2, policies: 1, def: 1, runs: []string{"r1"}},
		{at: 15 * time.Minute, revision: 3, policies: 2, def: 1, runs: []string{"r1"}},
		{at: 22 * time.Minute, revision: 4, policies: 2, def: 1, runs: []string{"r1"}, overrides: 1},
		{at: 29*time.Minute + 59*time.Second, revision: 4, policies: 2, def: 2, runs: []string{"r1"}, overrides: 1},
		{at: time.Hour, revision: 5, policies: 2, def: 2, runs: []string{"r1", "later"}, overrides: 1},
	}
	for _, c := range cases {
		at := t0.Add(c.at)
		v, err := plain.Run(f.ctx, at, "w1", "s1", "r1")
		h, herr := plain.History(f.ctx, at, "w1", "s1", "r1")
		if c.revision == 0 {
			if !errors.Is(err, projections.ErrNotFound) || !errors.Is(herr, projections.ErrNotFound) {
				t.Fatalf("%s: run %v, history %v; want ErrNotFound", at, err, herr)
			}
		} else {
			if err != nil || herr != nil {
				t.Fatalf("%s: run %v, history %v", at, err, herr)
			}
			wantJSON(t, "run as of "+at.String(), v, lifecycle[c.revision-1])
			if len(h) != c.revision {
				t.Fatalf("%s: %d revisions, want %d", at, len(h), c.revision)
			}
			for i := range h {
				wantJSON(t, "history as of "+at.String(), h[i], mustJSON(t, fullHistory[i]))
			}
		}

		w, err := plain.Policies(f.ctx, at, "w1")
		if c.policies == 0 {
			if !errors.Is(err, projections.ErrNotFound) {
				t.Fatalf("%s: policies %v, want ErrNotFound", at, err)
			}
		} else if err != nil || len(w.Versions) != c.policies || w.DefaultVersion != c.def {
			t.Fatalf("%s: policies %+v, %v; want %d versions, default %d", at, w, err, c.policies, c.def)
		}
		if c.def > 0 {
			d, err := plain.DefaultPolicy(f.ctx, at, "w1")
			if err != nil || d.Version != c.def || !d.Default {
				t.Fatalf("%s: default policy %+v, %v", at, d, err)
			}
			if _, err := plain.Policy(f.ctx, at, "w1", c.policies+1); !errors.Is(err, projections.ErrNotFound) {
				t.Fatalf("%s: unpublished version: %v", at, err)
			}
		}

		for name, a := range map[string]*projections.AsOf{"scan": plain, "indexed": indexed} {
			var got []string
			q := projections.ListQuery{Limit: 1}
			for {
				p, err := a.Runs(f.ctx, at, "w1", q)
				if err != nil {
					t.Fatalf("%s %s: runs: %v", name, at, err)
				}
				for _, r := range p.Runs {
					got = append(got, r.RunID)
				}
				if p.NextCursor == "" {
					break
				}
				q.Cursor = p.NextCursor
			}
			if !slices.Equal(got, c.runs) {
				t.Fatalf("%s %s: runs %v, want %v", name, at, got, c.runs)
			}
		}
		for _, world := range []string{"w1", ""} {
			o, err := plain.ApprovedOverrides(f.ctx, at, world, projections.OverrideQuery{})
			if err != nil || len(o.Overrides) != c.overrides {
				t.Fatalf("%s: overrides of %q: %+v, %v; want %d", at, world, o, err, c.overrides)
			}
		}
	}

	// Far in the future, as-of equals the projections.
	end := t0.Add(24 * time.Hour)
	v, err := plain.Run(f.ctx, end, "w1", "s1", "r1")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := full.runs.Get(f.ctx, "w1", "s1", "r1")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "as of the future = current", v, mustJSON(t, cur))
	if _, err := plain.Runs(f.ctx, end, "w1", projections.ListQuery{Status: "bogus"}); !errors.Is(err, projections.ErrInvalidQuery) {
		t.Fatalf("bad query: %v", err)
	}
	if _, err := plain.Run(f.ctx, end, "", "s1", "r1"); !errors.Is(err, projections.ErrNotFound) {
		t.Fatalf("invalid ids: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
