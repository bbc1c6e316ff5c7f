package handlers

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
)

// TestDecideIsWhatTheEvaluatorRecords: Decide appends nothing and returns
// exactly the completion Handle then records.
func TestDecideIsWhatTheEvaluatorRecords(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", testPolicy)
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "paper", RiskTier: "unknown", Returns: ptrs(appendixB)})
	ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	head, _ := f.store.Head(f.ctx)
	cmd, err := ev.Decide(f.ctx, &rec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := f.store.Head(f.ctx); h != head {
		t.Fatalf("Decide appended %d events", h-head)
	}
	if err := ev.Handle(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	run := f.run(t, rec.Stream)
	recorded, _ := json.Marshal(run.Verdict)
	decided, _ := json.Marshal(cmd.Verdict)
	if string(recorded) != string(decided) {
		t.Fatalf("recorded verdict %s, decided %s", recorded, decided)
	}
	if len(run.Rules) != len(cmd.Rules) {
		t.Fatalf("%d rules recorded, %d decided", len(run.Rules), len(cmd.Rules))
	}
	for i := range cmd.Rules {
		if run.Rules[i].Rule != cmd.Rules[i].Rule || string(run.Rules[i].Result) != string(cmd.Rules[i].Result) {
			t.Errorf("rule %d: recorded %s %s, decided %s %s", i, run.Rules[i].Rule, run.Rules[i].Result, cmd.Rules[i].Rule, cmd.Rules[i].Result)
		}
	}
	if string(run.Metrics) != string(cmd.Metrics.Metrics) {
		t.Errorf("recorded metrics %s, decided %s", run.Metrics, cmd.Metrics.Metrics)
	}
}

// TestDecidePinsThePolicyVersion: a pinned version replaces the one the
// submission asks for (here the default), and ResolvePolicyVersion says
// which one the evaluator picks, as of the submission's position.
func TestDecidePinsThePolicyVersion(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", testPolicy)
	f.publish(t, "w1", strings.Replace(testPolicy, `"sharpe_min": 0.5`, `"sharpe_min": 5`, 1))
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
	ev, _ := NewEvaluator(f.repo)
	resolved, err := ev.ResolvePolicyVersion(f.ctx, &rec)
	if err != nil {
		t.Fatal(err)
	}
	unpinned, err := ev.Decide(f.ctx, &rec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if unpinned.Verdict.PolicyVersion != resolved {
		t.Fatalf("resolved version %d, unpinned decision under %d", resolved, unpinned.Verdict.PolicyVersion)
	}
	for version, want := range map[int]string{1: "pass", 2: "fail"} {
		cmd, err := ev.Decide(f.ctx, &rec, version)
		if err != nil {
			t.Fatal(err)
		}
		if cmd.Verdict.Status != want || cmd.Verdict.PolicyVersion != version {
			t.Errorf("pinned %d: %s under %d, want %s", version, cmd.Verdict.Status, cmd.Verdict.PolicyVersion, want)
		}
	}
	// A version published after the submission does not exist for it.
	late := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w2", StrategyID: "s1", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
	f.publish(t, "w2", testPolicy)
	ev, _ = NewEvaluator(f.repo)
	if v, err := ev.ResolvePolicyVersion(f.ctx, &late); err != nil || v != 0 {
		t.Fatalf("resolved %d, %v for a submission before any policy", v, err)
	}
	cmd, err := ev.Decide(f.ctx, &late, 1)
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Verdict.Status != "fail" || !strings.Contains(cmd.Verdict.Note, "E_POLICY_VERSION_NOT_FOUND") {
		t.Fatalf("a version published later: %+v", cmd.Verdict)
	}
	if _, err := ev.Decide(f.ctx, &events.Record{Event: events.Event{Type: events.TypeEvaluationCompleted, Payload: json.RawMessage(`{}`)}}, 0); err == nil {
		t.Fatal("Decide accepted a record that is not a submission")
	}
}
