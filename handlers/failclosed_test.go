package handlers

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/world"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/policy"
)

// lenientPolicy only warns when a threshold's metric is missing; a return
// series gives no adv_utilization_p95.
const lenientPolicy = `{
  "validation": {"on_error": "warn", "on_missing_metric": "warn"},
  "validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.5}, "risk": {"adv_utilization_p95_max": 0.5}}},
  "default_profile_by_stage": {"backtest": "backtest"}
}`

func (f *fixture) settings(t *testing.T, s events.WorldSettingsUpdated) {
	t.Helper()
	stream, _ := events.WorldStream(s.WorldID)
	_, err := aggregates.Update(f.ctx, f.repo, stream, func(w *world.World) ([]events.Event, error) {
		return w.UpdateSettings(f.reg, world.UpdateSettings{Meta: events.Meta{IdempotencyKey: "settings:" + s.WorldID, OccurredAt: fixedNow}, Settings: s})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHighTierCriticalWorldsAreEvaluatedFailClosed checks that the
// evaluator forces fail-closed modes in a world whose settings make it
// high-tier critical, and only there: the missing metric that warns in an
// ordinary world fails in a critical one, and the ruleset hash is the
// fail-closed one (validation-core §6.7).
func TestHighTierCriticalWorldsAreEvaluatedFailClosed(t *testing.T) {
	f := newFixture(t)
	for _, w := range []string{"ordinary", "critical"} {
		f.publish(t, w, lenientPolicy)
	}
	f.settings(t, events.WorldSettingsUpdated{WorldID: "ordinary", RiskProfile: &events.WorldRiskProfile{Tier: "high"}})
	f.settings(t, events.WorldSettingsUpdated{WorldID: "critical", RiskProfile: &events.WorldRiskProfile{Tier: "high"}, ClientCritical: true})
	ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := policy.Parse([]byte(lenientPolicy))
	for _, tc := range []struct {
		world      string
		failClosed bool
		verdict    string
	}{{"ordinary", false, "warn"}, {"critical", true, "fail"}} {
		rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: tc.world, StrategyID: "s1", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
		if err := ev.Handle(f.ctx, rec); err != nil {
			t.Fatal(err)
		}
		v := f.run(t, rec.Stream).Verdict
		want := p.RulesetHash("backtest", tc.failClosed)
		if v.Status != tc.verdict || v.RulesetHash != want {
			t.Errorf("%s: verdict %s hash %s, want %s %s", tc.world, v.Status, v.RulesetHash, tc.verdict, want)
		}
		res, _ := policy.Resolve(nil, p, 1)
		pure, _ := evaluation.Evaluate(res, evaluation.Request{WorldID: tc.world, StrategyID: "s1", RunID: "r1", Stage: "backtest", Returns: appendixB, HasReturns: true, FailClosed: tc.failClosed})
		if string(pure.Summary.Status) != v.Status {
			t.Errorf("%s: recorded %s, the pure pipeline gives %s", tc.world, v.Status, pure.Summary.Status)
		}
	}
}

type failingSource struct{}

func (failingSource) FailClosed(context.Context, string) (bool, error) {
	return false, errors.New("store down")
}

// TestFailClosedLookupErrorsAreRetried checks that the evaluator never
// evaluates fail-open because it could not read the world's settings: the
// error stops the handler (the runner retries) and nothing is appended.
func TestFailClosedLookupErrorsAreRetried(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", lenientPolicy)
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "backtest", Returns: ptrs(appendixB)})
	ev, _ := NewEvaluator(f.repo, WithFailClosed(failingSource{}), WithFailClosed(nil))
	before, _ := f.store.Head(f.ctx)
	if err := ev.Handle(f.ctx, rec); err == nil {
		t.Fatal("Handle succeeded without knowing whether the world is fail-closed")
	}
	if after, _ := f.store.Head(f.ctx); after != before {
		t.Fatalf("appended %d events", after-before)
	}
}
