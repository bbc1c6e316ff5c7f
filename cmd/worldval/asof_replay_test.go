package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/events"
)

// runFact is what both the API and replay say about one run at an instant.
type runFact struct {
	status, stage, verdict, recommended, policyVersion, rulesetHash string
}

// policyFact is what both say about a world's policies at an instant.
type policyFact struct {
	versions, defaultVersion int
}

// TestAsOfMatchesReplay builds some history (two policy versions, runs
// evaluated under each), then asks the API ?as_of= at several instants —
// before anything, at a run's submission and at its verdict to the
// nanosecond, between two runs, after everything — and checks each answer
// against `worldval replay --as-of` folded to the same instant from the
// stopped service's store.
func TestAsOfMatchesReplay(t *testing.T) {
	t.Parallel()
	url, dir, stop := startStoppableService(t)
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := c.PublishPolicy(ctx, "w1", []byte(servicePolicy)); err != nil {
		t.Fatal(err)
	}
	good := []float64{0.012, -0.004, 0.007, 0.009, -0.011, 0.006, 0.003, -0.002, 0.008, 0.004}
	bad := []float64{-0.012, 0.004, -0.007, 0.002, -0.011}
	var refs []client.RunRef
	submit := func(strategy, run string, returns []float64) {
		sub, err := c.Submit(ctx, "w1", client.SubmitRequest{StrategyID: strategy, RunID: run, Returns: returns})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.WaitForVerdict(ctx, sub.Ref()); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, sub.Ref())
	}
	submit("s1", "r1", good)
	submit("s2", "r1", bad)
	if _, err := c.PublishPolicy(ctx, "w1", []byte(strings.Replace(servicePolicy, "sharpe_min: 0.05", "sharpe_min: 0.5", 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetDefaultPolicy(ctx, "w1", 2); err != nil {
		t.Fatal(err)
	}
	submit("s1", "r2", good)

	// The instants: every revision of every run, exactly and a nanosecond
	// before, a midpoint, and after everything.
	var instants []time.Time
	for _, ref := range refs {
		h, err := c.RunHistory(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range h {
			instants = append(instants, e.RecordedAt, e.RecordedAt.Add(-time.Nanosecond))
		}
	}
	sort.Slice(instants, func(i, j int) bool { return instants[i].Before(instants[j]) })
	first, last := instants[0], instants[len(instants)-1]
	instants = append(instants, first.Add(last.Sub(first)/2), last.Add(time.Second))

	apiRuns := make([]map[client.RunRef]runFact, len(instants))
	apiPolicies := make([]policyFact, len(instants))
	for i, at := range instants {
		apiRuns[i] = map[client.RunRef]runFact{}
		for _, ref := range refs {
			r, err := c.Run(ctx, ref, client.AsOf(at))
			if client.HasCode(err, client.CodeRunNotFound) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			f := runFact{status: r.Status, stage: r.Stage, verdict: r.Summary.Status, recommended: r.Summary.RecommendedStage}
			if r.Validation.PolicyVersion != nil {
				f.policyVersion = *r.Validation.PolicyVersion
			}
			if r.Validation.RulesetHash != nil {
				f.rulesetHash = *r.Validation.RulesetHash
			}
			apiRuns[i][ref] = f
		}
		ps, err := c.Policies(ctx, "w1", client.AsOf(at))
		if err != nil {
			t.Fatal(err)
		}
		apiPolicies[i] = policyFact{versions: len(ps.Versions), defaultVersion: ps.DefaultVersion}
	}
	stop()

	seen := map[string]bool{}
	for i, at := range instants {
		runs, pol := replayFacts(t, dir, at)
		if fmt.Sprint(runs) != fmt.Sprint(apiRuns[i]) {
			t.Errorf("as of %s: the API says\n  %v\nreplay says\n  %v", at.Format(time.RFC3339Nano), apiRuns[i], runs)
		}
		if pol != apiPolicies[i] {
			t.Errorf("as of %s: the API says policies %+v, replay %+v", at.Format(time.RFC3339Nano), apiPolicies[i], pol)
		}
		seen[fmt.Sprint(runs, pol)] = true
	}
	if len(seen) < 6 {
		t.Errorf("only %d distinct states over %d instants: the instants do not exercise history", len(seen), len(instants))
	}
}

// replayFacts runs `worldval replay --as-of at --json` on dir and returns
// what it folded of the runs and of world w1's policies.
func replayFacts(t *testing.T, dir string, at time.Time) (map[client.RunRef]runFact, policyFact) {
	t.Helper()
	code, out, stderr := runCLI(t, "replay", "--data-dir", dir, "--as-of", at.Format(time.RFC3339Nano), "--json")
	if code != exitOK {
		t.Fatalf("replay: exit %d\n%s", code, stderr)
	}
	var rep struct {
		Streams []struct {
			Stream   string         `json:"stream"`
			Category string         `json:"category"`
			State    map[string]any `json:"state"`
		} `json:"streams"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	runs := map[client.RunRef]runFact{}
	var pol policyFact
	str := func(v any) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	for _, s := range rep.Streams {
		switch s.Category {
		case "evaluation-run":
			_, ids, err := events.ParseStream(s.Stream)
			if err != nil || len(ids) != 3 {
				t.Fatalf("run stream %s: %v", s.Stream, err)
			}
			runs[client.RunRef{WorldID: ids[0], StrategyID: ids[1], RunID: ids[2]}] = runFact{status: str(s.State["status"]), stage: str(s.State["stage"]), verdict: str(s.State["verdict"]),
				recommended: str(s.State["recommended_stage"]), policyVersion: str(s.State["policy_version"]), rulesetHash: str(s.State["ruleset_hash"])}
		case "world-policy":
			versions, _ := s.State["versions"].([]any) // [1, 2, …]
			def, _ := s.State["default_version"].(float64)
			pol = policyFact{versions: len(versions), defaultVersion: int(def)}
		}
	}
	return runs, pol
}
