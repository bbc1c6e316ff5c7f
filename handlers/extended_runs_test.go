package handlers

import (
	"fmt"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
)

// TestRunCacheKeepsWhatThePassReads checks that a run the extended handler
// caches, whether folded from delivered events or loaded from the store,
// holds what a pass reads (identity, stage, status, verdict activity,
// metrics, versions) and none of the bulk it never reads (the submitted
// series, the core rule results, the verdict's health and policy snapshot).
func TestRunCacheKeepsWhatThePassReads(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", testPolicy)
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
	ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Handle(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	full := f.run(t, rec.Stream)
	if full.Status != evaluationrun.StatusEvaluated || len(full.Request.Returns) == 0 || len(full.Rules) == 0 || len(full.Verdict.PolicySnapshot) == 0 {
		t.Fatalf("the stored run lacks what this test expects to be trimmed: status %q, %d returns, %d rules", full.Status, len(full.Request.Returns), len(full.Rules))
	}
	recs, err := f.store.ReadStream(f.ctx, rec.Stream, 1, 0)
	if err != nil {
		t.Fatal(err)
	}

	observed := newRunCache(f.repo)
	for i := range recs {
		if err := observed.observe(f.reg, &recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	loaded := newRunCache(f.repo)
	for name, c := range map[string]*runCache{"observed": observed, "loaded": loaded} {
		e, err := c.get(f.ctx, rec.Stream)
		if err != nil {
			t.Fatal(err)
		}
		r := e.run
		if r.Status != full.Status || r.Version != full.Version || r.Request.WorldID != "w1" || r.Request.StrategyID != "s1" ||
			r.Request.RunID != "r1" || r.Request.Stage != full.Request.Stage || r.Verdict.Active != full.Verdict.Active ||
			r.Verdict.Status != full.Verdict.Status || string(r.Metrics) != string(full.Metrics) ||
			len(r.Derivations) != len(full.Derivations) || r.EvaluatedPosition != full.EvaluatedPosition || !r.SubmittedAt.Equal(full.SubmittedAt) {
			t.Errorf("%s: cached run differs from the stored one in what a pass reads: %+v", name, r)
		}
		if r.Request.Returns != nil || r.Request.Metrics != nil || r.Rules != nil || r.Verdict.ValidationHealth != nil || r.Verdict.PolicySnapshot != nil {
			t.Errorf("%s: cached run keeps bulk a pass never reads: %d returns, %d rules, health %d bytes, snapshot %d bytes",
				name, len(r.Request.Returns), len(r.Rules), len(r.Verdict.ValidationHealth), len(r.Verdict.PolicySnapshot))
		}
		doc, err := e.baseMetrics()
		if err != nil || len(doc) == 0 {
			t.Errorf("%s: base metrics %v, %v", name, doc, err)
		}
	}
}

// TestRunCacheKeepsRecentRunsOnly checks that the run cache is bounded by
// use, not by how many runs the process has seen: after the first events of
// three generations of runs, it holds at most two generations, the newest
// runs are served from memory, and the oldest are loaded again from their
// streams (here they have none, so a run that was forgotten comes back
// empty).
func TestRunCacheKeepsRecentRunsOnly(t *testing.T) {
	f := newFixture(t)
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
	c := newRunCache(f.repo)
	streams := make([]string, 3*runCacheGeneration)
	for i := range streams {
		r := rec
		r.Stream, _ = events.RunStream("w1", "s1", fmt.Sprintf("synthetic-%d", i))
		streams[i] = r.Stream
		if err := c.observe(f.reg, &r); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.runs.Len(); n > 2*runCacheGeneration {
		t.Fatalf("the cache holds %d runs after %d, more than two generations of %d", n, len(streams), runCacheGeneration)
	}
	for _, i := range []int{len(streams) - 1, len(streams) - runCacheGeneration} {
		if e, err := c.get(f.ctx, streams[i]); err != nil || e.run.Version != 1 || e.run.Request.StrategyID != "s1" {
			t.Fatalf("run %d of %d: version %d, err %v; want the observed submission", i, len(streams), e.run.Version, err)
		}
	}
	if e, err := c.get(f.ctx, streams[0]); err != nil || e.run.Version != 0 {
		t.Fatalf("the first run: version %d, err %v; want it forgotten and loaded again (empty)", e.run.Version, err)
	}
}
