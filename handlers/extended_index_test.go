package handlers

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// TestWorldIndexCurrentKeepsEveryCohort: over a random history — runs of
// several strategies in two stages and two campaigns, evaluated out of
// submission order, with equal timestamps and later overrides that move an
// old run back to the front — the latest-per-slot list a run trigger's pass
// uses gives every stage and campaign cohort, the latest run of every
// strategy and the set of strategies exactly as the list of all evaluated
// runs does.
func TestWorldIndexCurrentKeepsEveryCohort(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		ix := &worldIndex{worlds: map[string]map[string]*runInfo{"w": {}}, order: map[string][]*runInfo{}, slots: map[string]*worldSlots{}}
		stamp := func() string { return fmt.Sprintf("2026-11-26T10:00:%02dZ", rng.IntN(20)) }
		var pending []*runInfo
		for i := range 300 {
			r := &runInfo{stream: fmt.Sprintf("evaluation-run/w/s%d/r%d", i%7, i)}
			r.view = runView{StrategyID: fmt.Sprintf("s%d", i%7), RunID: fmt.Sprintf("r%d", i), Stage: []string{"backtest", "paper"}[rng.IntN(2)],
				CreatedAt: stamp(), info: r}
			if rng.IntN(3) == 0 {
				r.view.CampaignID = []string{"c1", "c2"}[rng.IntN(2)]
			}
			r.view.UpdatedAt = r.view.CreatedAt
			ix.mu.Lock()
			ix.add("w", r)
			ix.mu.Unlock()
			pending = append(pending, r)
			// Evaluate a random waiting run, or touch an evaluated one.
			ix.mu.Lock()
			switch k := rng.IntN(4); {
			case k < 3 && len(pending) > 0:
				j := rng.IntN(len(pending))
				p := pending[j]
				pending = slices.Delete(pending, j, j+1)
				p.evaluated, p.view.UpdatedAt = true, max(p.view.UpdatedAt, stamp())
				ix.changed("w", p)
			default:
				old := ix.order["w"][rng.IntN(len(ix.order["w"]))]
				old.view.UpdatedAt = stamp()
				ix.changed("w", old)
			}
			ix.mu.Unlock()
			if i%25 != 24 {
				continue
			}
			cur, err := ix.current(t.Context(), "w")
			if err != nil {
				t.Fatal(err)
			}
			var all []runView
			for _, r := range ix.order["w"] {
				if r.evaluated {
					all = append(all, r.view)
				}
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

// TestWorldIndexShrinksSupersededRuns: a run that is no longer the latest of
// any slot gives up its decoded metrics, and gets exactly the same document
// back, patches included, when an override makes it the latest again.
func TestWorldIndexShrinksSupersededRuns(t *testing.T) {
	ix := &worldIndex{worlds: map[string]map[string]*runInfo{"w": {}}, order: map[string][]*runInfo{}, slots: map[string]*worldSlots{}}
	run := func(id, at string) *runInfo {
		r := &runInfo{stream: "evaluation-run/w/s1/" + id, evaluated: true,
			metrics: []byte(`{"returns":{"sharpe":1.25,"max_drawdown":0.1},"risk":{"incremental_var_99":0.004}}`)}
		r.view = runView{StrategyID: "s1", RunID: id, Stage: "backtest", CreatedAt: at, UpdatedAt: at, info: r}
		ix.mu.Lock()
		ix.add("w", r)
		ix.mu.Unlock()
		return r
	}
	old := run("r1", "2026-11-26T10:00:00Z")
	old.pending = append(old.pending, []byte(`{"risk":{"incremental_var_99":0.007},"stress":{"crash":{"max_drawdown":0.2}}}`))
	if _, err := ix.current(t.Context(), "w"); err != nil {
		t.Fatal(err)
	}
	before := old.view.metrics(ix)
	if before == nil || old.doc == nil {
		t.Fatal("the latest run's metrics did not decode")
	}
	want, _ := json.Marshal(before)

	run("r2", "2026-11-26T11:00:00Z")
	if _, err := ix.current(t.Context(), "w"); err != nil {
		t.Fatal(err)
	}
	if old.doc != nil || old.latestIn != 0 {
		t.Fatalf("the superseded run keeps its decoded metrics (latest of %d slots)", old.latestIn)
	}

	ix.mu.Lock()
	old.view.UpdatedAt = "2026-11-26T12:00:00Z" // an override moves it to the front
	ix.changed("w", old)
	ix.mu.Unlock()
	cur, err := ix.current(t.Context(), "w")
	if err != nil || len(cur) != 1 || cur[0].RunID != "r1" {
		t.Fatalf("current %+v, %v: want r1 back as the latest", cur, err)
	}
	got, _ := json.Marshal(old.view.metrics(ix))
	if string(got) != string(want) {
		t.Fatalf("metrics after coming back %s, want %s", got, want)
	}
}

// TestSameStringSharesEqualTimestamps: an equal timestamp is the string the
// run already holds, not a copy; a different one is kept as it is.
func TestSameStringSharesEqualTimestamps(t *testing.T) {
	created := secondsZ(fixedNow)
	updated := secondsZ(fixedNow.Add(300 * time.Millisecond)) // same second, new string
	if got := sameString(updated, "", created); got != created || unsafe.StringData(got) != unsafe.StringData(created) {
		t.Fatalf("same second: %q at %p, want the created string at %p", got, unsafe.StringData(got), unsafe.StringData(created))
	}
	later := secondsZ(fixedNow.Add(time.Second))
	if got := sameString(later, created); got != later || unsafe.StringData(got) != unsafe.StringData(later) {
		t.Fatalf("next second: %q", got)
	}
}

// TestTailOfSharesTheStreamName: a run id at the end of its stream name is
// that part of the name; one that is not (escaped in the name) is kept.
func TestTailOfSharesTheStreamName(t *testing.T) {
	stream := "run/w/s/r-1"
	got := tailOf(stream, "r-1")
	if got != "r-1" || unsafe.StringData(got) != unsafe.StringData(stream[len(stream)-3:]) {
		t.Fatalf("tailOf = %q, not the end of the stream name", got)
	}
	for _, tc := range [][2]string{{"run/w/s/a%2Fb", "a/b"}, {"run/w/s/xr-1", "r-1"}, {"r-1", "r-1"}} {
		if got := tailOf(tc[0], tc[1]); got != tc[1] || unsafe.StringData(got) != unsafe.StringData(tc[1]) {
			t.Fatalf("tailOf(%q, %q) = %q", tc[0], tc[1], got)
		}
	}
}
