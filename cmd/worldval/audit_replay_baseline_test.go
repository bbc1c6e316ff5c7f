package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/processor"
	"github.com/worldval/worldval/projections"
)

// baselinePolicy gives paper runs a profile, so that their metrics are
// enriched with the backtest baseline (paper_vs_backtest_*).
const baselinePolicy = `{
  "validation_profiles": {
    "backtest": {"performance": {"sharpe_min": 0.5}},
    "paper": {"performance": {"sharpe_min": 0.5, "severity": "soft"}}
  },
  "default_profile_by_stage": {"backtest": "backtest", "paper": "paper"}
}`

// liveService is the evaluator wired as the service wires it: baselines
// from a run read model that follows the store when told to.
type liveService struct {
	t    *testing.T
	ctx  context.Context
	st   *sqlite.Store
	reg  *events.Registry
	runs *projections.RunCurrent
	eval *handlers.Evaluator
}

func newLiveService(t *testing.T, dir string) *liveService {
	t.Helper()
	ctx := context.Background()
	reg := events.Catalogue()
	st, err := sqlite.Open(ctx, processor.EventStorePath(dir), sqlite.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	repo, err := aggregates.NewRepository(st, reg)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), reg)
	if err != nil {
		t.Fatal(err)
	}
	eval, err := handlers.NewEvaluator(repo, handlers.WithBaselines(handlers.RunViewBaselines{Runs: runs}))
	if err != nil {
		t.Fatal(err)
	}
	stream, _ := events.PolicyStream("w")
	if _, err := aggregates.Update(ctx, repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
		return p.Publish(reg, worldpolicy.Publish{Meta: events.Meta{IdempotencyKey: "pub", OccurredAt: time.Now()}, WorldID: "w", Policy: []byte(baselinePolicy)})
	}); err != nil {
		t.Fatal(err)
	}
	return &liveService{t: t, ctx: ctx, st: st, reg: reg, runs: runs, eval: eval}
}

// submit stores a submission with the given sharpe ratio.
func (s *liveService) submit(strategy, run, stage string, sharpe float64) events.Record {
	s.t.Helper()
	stream, _ := events.RunStream("w", strategy, run)
	ev, err := s.reg.New(events.EvaluationRunSubmitted{
		WorldID: "w", StrategyID: strategy, RunID: run, Stage: stage, RiskTier: "unknown",
		Metrics: json.RawMessage(fmt.Sprintf(`{"returns":{"sharpe":%g,"max_drawdown":0.1}}`, sharpe)), RequestHash: "h-" + stream,
	}, events.Meta{IdempotencyKey: "sub:" + stream, OccurredAt: time.Now()})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.st.Append(s.ctx, stream, eventstore.NoStream{}, ev); err != nil {
		s.t.Fatal(err)
	}
	recs, err := s.st.ReadStream(s.ctx, stream, 1, 1)
	if err != nil {
		s.t.Fatal(err)
	}
	return recs[0]
}

// evaluate has the evaluator decide and record a submission.
func (s *liveService) evaluate(rec events.Record) {
	s.t.Helper()
	if err := s.eval.Handle(s.ctx, rec); err != nil {
		s.t.Fatal(err)
	}
}

// project brings the run read model up to the store's head.
func (s *liveService) project() {
	s.t.Helper()
	from, err := s.runs.Checkpoint(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	recs, err := s.st.ReadAll(s.ctx, from, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.runs.ApplyBatch(s.ctx, recs); err != nil {
		s.t.Fatal(err)
	}
}

// TestAuditReplayBaselineAsOfSubmission: a paper run's baseline is the
// latest evaluated backtest as of its submission. A service that evaluated
// the paper run in order matches; one whose evaluator lagged behind a later
// backtest's verdict (its read model already held it) used another
// baseline, and the replay reports that run, as its help says.
func TestAuditReplayBaselineAsOfSubmission(t *testing.T) {
	dir := t.TempDir()
	s := newLiveService(t, dir)

	// In order: bt-1 evaluated, paper-1 submitted and evaluated, bt-2 later.
	s.evaluate(s.submit("in-order", "bt-1", "backtest", 2))
	s.project()
	s.evaluate(s.submit("in-order", "paper-1", "paper", 1))
	s.project()
	s.evaluate(s.submit("in-order", "bt-2", "backtest", 4))
	s.project()

	// Lagging: paper-1 is submitted after bt-1's verdict, but evaluated
	// only once bt-2 (submitted after it) is evaluated and projected.
	s.evaluate(s.submit("lagging", "bt-1", "backtest", 2))
	s.project()
	paper := s.submit("lagging", "paper-1", "paper", 1)
	s.evaluate(s.submit("lagging", "bt-2", "backtest", 4))
	s.project()
	s.evaluate(paper)
	if err := s.st.Close(); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runCLI(t, "audit", "replay", "--data-dir", dir)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFailure, out, stderr)
	}
	if !strings.Contains(out, "audit replay: 6 runs checked, 5 matching, 1 differing") {
		t.Fatalf("summary:\n%s", out)
	}
	if !strings.Contains(out, "DIFFERS w/lagging/paper-1") || strings.Contains(out, "DIFFERS w/in-order") {
		t.Fatalf("the lagging paper run alone should differ:\n%s", out)
	}
	// Stored against bt-2 (sharpe 4): ratio 1/4; replayed against bt-1: 1/2.
	if !strings.Contains(out, `paper_shadow_baseline_run_id: stored "bt-2", replayed "bt-1"`) ||
		!strings.Contains(out, "paper_vs_backtest_sharpe_ratio: stored 0.25, replayed 0.5") {
		t.Fatalf("the baseline difference is not named:\n%s", out)
	}
}
