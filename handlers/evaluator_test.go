package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/eventstore/sqlite/sqlitetest"
	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

const testPolicy = `{
  "policy_version": 1,
  "validation_profiles": {
    "backtest": {"performance": {"sharpe_min": 0.5, "max_dd_max": 0.2}},
    "paper": {"performance": {"sharpe_min": 2.0, "severity": "soft"}}
  },
  "default_profile_by_stage": {"backtest": "backtest", "paper": "paper"}
}`

var appendixB = []float64{0.01, 0.02, -0.005, 0.015, 0.012, 0.008, -0.003, 0.02, 0.01, 0.005}

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	ctx   context.Context
	store *sqlite.Store
	repo  *aggregates.Repository
	reg   *events.Registry
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	reg := events.Catalogue()
	st := sqlitetest.Open(t, sqlite.WithRegistry(reg))
	repo, err := aggregates.NewRepository(st, reg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{ctx: context.Background(), store: st, repo: repo, reg: reg}
}

func (f *fixture) publish(t *testing.T, world, doc string) {
	t.Helper()
	stream, _ := events.PolicyStream(world)
	_, err := aggregates.Update(f.ctx, f.repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
		return p.Publish(f.reg, worldpolicy.Publish{Meta: events.Meta{IdempotencyKey: "pub:" + world + doc, OccurredAt: fixedNow}, WorldID: world, Policy: []byte(doc)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// submit appends a submission and returns the stored record.
func (f *fixture) submit(t *testing.T, req events.EvaluationRunSubmitted) events.Record {
	t.Helper()
	stream, _ := events.RunStream(req.WorldID, req.StrategyID, req.RunID)
	h, err := evaluationrun.RequestHash(req)
	if err != nil {
		t.Fatal(err)
	}
	req.RequestHash = h
	_, err = aggregates.Update(f.ctx, f.repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
		return r.Submit(f.reg, evaluationrun.Submit{Meta: events.Meta{IdempotencyKey: "sub:" + stream, OccurredAt: fixedNow.Add(-time.Second)}, Request: req})
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := f.store.ReadStream(f.ctx, stream, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	return recs[0]
}

func (f *fixture) run(t *testing.T, stream string) *evaluationrun.Run {
	t.Helper()
	snap, err := aggregates.Load[evaluationrun.Run](f.ctx, f.repo, stream)
	if err != nil {
		t.Fatal(err)
	}
	return snap.State
}

func ptrs(xs []float64) []*float64 {
	out := make([]*float64, len(xs))
	for i := range xs {
		out[i] = &xs[i]
	}
	return out
}

type recorder struct {
	mu       sync.Mutex
	verdicts []string
}

func (r *recorder) Evaluated(verdict string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verdicts = append(r.verdicts, verdict)
}

// TestEvaluatorRecordsTheVerdict checks that the stored verdict is exactly
// what the pure pipeline computes for the same input, in one atomic append,
// and that handling the submission again appends nothing.
func TestEvaluatorRecordsTheVerdict(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", testPolicy)
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "paper", RiskTier: "unknown", Returns: ptrs(appendixB)})
	obs := &recorder{}
	ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }), WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	headBefore, _ := f.store.Head(f.ctx)
	if err := ev.Handle(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	headAfter, _ := f.store.Head(f.ctx)

	p, _ := policy.Parse([]byte(testPolicy))
	res, _ := policy.Resolve(nil, p, 1)
	want, err := evaluation.Evaluate(res, evaluation.Request{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "paper", RiskTier: "unknown", Returns: appendixB, HasReturns: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := headAfter - headBefore; got != uint64(2+len(want.Validation.Results)) {
		t.Fatalf("appended %d events, want MetricsComputed + %d RuleEvaluated + EvaluationCompleted", got, len(want.Validation.Results))
	}
	run := f.run(t, rec.Stream)
	if run.Status != evaluationrun.StatusEvaluated {
		t.Fatalf("status %s", run.Status)
	}
	v := run.Verdict
	if v.Status != string(want.Summary.Status) || v.Status != "warn" || v.RecommendedStage != want.Summary.RecommendedStage || v.PolicyVersion != 1 || v.RulesetHash != want.Validation.RulesetHash || v.Profile != "paper" {
		t.Fatalf("verdict %+v, want %+v", v, want.Summary)
	}
	if len(run.Rules) != len(want.Validation.Results) {
		t.Fatalf("%d rules recorded, want %d", len(run.Rules), len(want.Validation.Results))
	}
	for i, nr := range want.Validation.Results {
		wantBody, _ := json.Marshal(nr.Result)
		if run.Rules[i].Rule != nr.Name || string(run.Rules[i].Result) != string(wantBody) {
			t.Errorf("rule %d: %s %s, want %s %s", i, run.Rules[i].Rule, run.Rules[i].Result, nr.Name, wantBody)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(run.Metrics, &doc); err != nil {
		t.Fatal(err)
	}
	if s, _ := metrics.Flatten(doc).Lookup("returns.sharpe"); s < 1.1450014 || s > 1.1450016 {
		t.Fatalf("recorded sharpe %v", s)
	}
	if len(obs.verdicts) != 1 || obs.verdicts[0] != "warn" {
		t.Fatalf("observer heard %v", obs.verdicts)
	}

	// Idempotent: the same submission again (a re-delivery, or a runner
	// restarted from an older checkpoint) appends nothing.
	if err := ev.Handle(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	if h, _ := f.store.Head(f.ctx); h != headAfter {
		t.Fatalf("re-handling appended %d events", h-headAfter)
	}
}

func TestEvaluatorWithoutPolicyFailsClosed(t *testing.T) {
	f := newFixture(t)
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "empty-world", StrategyID: "s1", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
	ev, _ := NewEvaluator(f.repo)
	if err := ev.Handle(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	run := f.run(t, rec.Stream)
	v := run.Verdict
	if run.Status != evaluationrun.StatusEvaluated || v.Status != "fail" || v.RecommendedStage != "backtest_only" || v.Active || len(run.Rules) != 0 {
		t.Fatalf("run %+v", run)
	}
	if !strings.Contains(v.Note, "E_POLICY_INVALID") || !strings.Contains(v.Note, "world has no policy") {
		t.Fatalf("note %q", v.Note)
	}
	var health map[string]float64
	if err := json.Unmarshal(v.ValidationHealth, &health); err != nil || health["rules_executed_ratio"] != 0 || health["validation_error_count"] != 1 {
		t.Fatalf("health %s", v.ValidationHealth)
	}
	// The metrics are still derived and recorded for the audit trail.
	var doc map[string]any
	_ = json.Unmarshal(run.Metrics, &doc)
	if _, ok := metrics.Flatten(doc).Lookup("returns.sharpe"); !ok {
		t.Fatalf("metrics not recorded: %s", run.Metrics)
	}
}

func TestEvaluatorUnknownPolicyVersion(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", testPolicy)
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "backtest", RiskTier: "unknown", PolicyVersion: 9, Metrics: json.RawMessage(`{"sharpe":3}`)})
	ev, _ := NewEvaluator(f.repo)
	if err := ev.Handle(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	v := f.run(t, rec.Stream).Verdict
	if v.Status != "fail" || v.PolicyVersion != 9 || !strings.Contains(v.Note, "E_POLICY_VERSION_NOT_FOUND") {
		t.Fatalf("verdict %+v", v)
	}
}

// TestEvaluatorUsesNamedVersion: a submission naming an older version is
// evaluated under it, not under the default.
func TestEvaluatorUsesNamedVersion(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", testPolicy)
	f.publish(t, "w1", strings.Replace(testPolicy, `"sharpe_min": 0.5`, `"sharpe_min": 5`, 1))
	ev, _ := NewEvaluator(f.repo)
	for version, want := range map[int]string{1: "pass", 2: "fail"} {
		rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "r" + string(rune('0'+version)), Stage: "backtest", RiskTier: "unknown", PolicyVersion: version, Returns: ptrs(appendixB)})
		if err := ev.Handle(f.ctx, rec); err != nil {
			t.Fatal(err)
		}
		if v := f.run(t, rec.Stream).Verdict; v.Status != want || v.PolicyVersion != version {
			t.Errorf("version %d: verdict %s (policy %d), want %s", version, v.Status, v.PolicyVersion, want)
		}
	}
}

type fixedBaseline struct{ b *metrics.Baseline }

func (f fixedBaseline) LatestBacktest(context.Context, string, string) (*metrics.Baseline, error) {
	return f.b, nil
}

func TestEvaluatorPaperBaseline(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", testPolicy)
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "p1", Stage: "paper", RiskTier: "unknown", Metrics: json.RawMessage(`{"returns":{"sharpe":1.0,"max_drawdown":0.1}}`)})
	base := &metrics.Baseline{RunID: "bt-7", Metrics: map[string]any{"returns": map[string]any{"sharpe": 2.0, "max_drawdown": 0.05}}}
	ev, _ := NewEvaluator(f.repo, WithBaselines(fixedBaseline{base}))
	if err := ev.Handle(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.Unmarshal(f.run(t, rec.Stream).Metrics, &doc)
	flat := metrics.Flatten(doc)
	if r, _ := flat.Lookup("paper_vs_backtest_sharpe_ratio"); r != 0.5 {
		t.Fatalf("paper_vs_backtest_sharpe_ratio %v, want 1.0/2.0", r)
	}
	if r, _ := flat.Lookup("paper_vs_backtest_dd_ratio"); r != 2 {
		t.Fatalf("paper_vs_backtest_dd_ratio %v, want 0.1/0.05", r)
	}
}
