package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/validation/policy"
)

// strictPolicy fails the appendix-B returns (sharpe ≈ 1.145) that
// testPolicy passes.
var strictPolicy = strings.Replace(testPolicy, `"sharpe_min": 0.5`, `"sharpe_min": 5`, 1)

// setDefault makes version the default policy of world.
func (f *fixture) setDefault(t *testing.T, world string, version int) {
	t.Helper()
	stream, _ := events.PolicyStream(world)
	_, err := aggregates.Update(f.ctx, f.repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
		return p.SetDefault(f.reg, worldpolicy.SetDefault{Meta: events.Meta{IdempotencyKey: fmt.Sprintf("default:%s:%d", world, version), OccurredAt: fixedNow}, Version: version})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// all reads every stored event after position after.
func (f *fixture) all(t *testing.T, after uint64) []events.Record {
	t.Helper()
	recs, err := f.store.ReadAll(f.ctx, after, 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// head returns the store's head position.
func (f *fixture) head(t *testing.T) uint64 {
	t.Helper()
	h, err := f.store.Head(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// completions counts the EvaluationCompleted events of a run stream.
func (f *fixture) completions(t *testing.T, stream string) int {
	t.Helper()
	recs, err := f.store.ReadStream(f.ctx, stream, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Type == events.TypeEvaluationCompleted {
			n++
		}
	}
	return n
}

// batchHistory builds, through f, 200 submissions over four worlds with
// policy and settings changes among them: "alpha" (testPolicy, made
// fail-closed half-way), "beta" (lenientPolicy, fail-closed from the start),
// "gamma" (testPolicy, then strictPolicy as the new default half-way; some
// runs name version 1 or 2) and "none" (no policy). After every append it
// calls step, which may be nil. It returns the run streams in submission
// order.
func batchHistory(t *testing.T, f *fixture, step func()) []string {
	t.Helper()
	if step == nil {
		step = func() {}
	}
	f.publish(t, "alpha", testPolicy)
	step()
	f.publish(t, "beta", lenientPolicy)
	step()
	f.settings(t, events.WorldSettingsUpdated{WorldID: "beta", RiskProfile: &events.WorldRiskProfile{Tier: "high"}, ClientCritical: true})
	step()
	f.publish(t, "gamma", testPolicy)
	step()
	rng := rand.New(rand.NewPCG(7, 11))
	worlds := []string{"alpha", "beta", "gamma", "none"}
	var streams []string
	for i := range 200 {
		switch i {
		case 100:
			f.publish(t, "gamma", strictPolicy)
			step()
			f.setDefault(t, "gamma", 2)
			step()
		case 150:
			f.settings(t, events.WorldSettingsUpdated{WorldID: "alpha", RiskProfile: &events.WorldRiskProfile{Tier: "high"}, ClientCritical: true})
			step()
		}
		req := events.EvaluationRunSubmitted{WorldID: worlds[i%len(worlds)], StrategyID: fmt.Sprintf("s%d", i%7), RunID: fmt.Sprintf("r%03d", i), RiskTier: "unknown", Stage: "backtest"}
		if i%5 == 1 {
			req.Stage = "paper"
		}
		if req.WorldID == "gamma" && i%3 == 0 {
			req.PolicyVersion = 1 + (i/4)%2 // names a version; version 2 does not exist before run 100
		}
		if i%4 == 3 || i%6 == 0 {
			req.Metrics = json.RawMessage(fmt.Sprintf(`{"returns":{"sharpe":%.3f,"max_drawdown":%.3f}}`, 3*rng.Float64()-0.5, 0.3*rng.Float64()))
		} else {
			rets := make([]float64, 60)
			for j := range rets {
				rets[j] = appendixB[j%len(appendixB)] + 0.004*rng.NormFloat64()
			}
			req.Returns = ptrs(rets)
		}
		streams = append(streams, f.submit(t, req).Stream)
		step()
	}
	return streams
}

// TestEvaluatorBatchMatchesOneAtATime evaluates 200 submissions over four
// worlds in one batch and checks that every run gets exactly one
// completion, with the verdict, rules and metrics that handling the same
// history one event at a time, as it was appended, records.
func TestEvaluatorBatchMatchesOneAtATime(t *testing.T) {
	clock := WithClock(func() time.Time { return fixedNow })

	// One at a time: every event handled as soon as it is stored, so each
	// submission sees the world exactly as it was when it was submitted.
	seq := newFixture(t)
	seqEval, err := NewEvaluator(seq.repo, clock)
	if err != nil {
		t.Fatal(err)
	}
	var pos uint64
	streams := batchHistory(t, seq, func() {
		for _, rec := range seq.all(t, pos) {
			if err := seqEval.Handle(seq.ctx, rec); err != nil {
				t.Fatal(err)
			}
			pos = rec.GlobalPosition
		}
	})

	// One batch: the whole history at once, policy and settings changes
	// included, to an evaluator that has seen nothing.
	bat := newFixture(t)
	if got := batchHistory(t, bat, nil); !reflect.DeepEqual(got, streams) {
		t.Fatal("the two histories differ")
	}
	obs := &recorder{}
	batEval, err := NewEvaluator(bat.repo, clock, WithObserver(obs), WithParallelism(3))
	if err != nil {
		t.Fatal(err)
	}
	recs := bat.all(t, 0)
	if err := batEval.HandleBatch(bat.ctx, recs); err != nil {
		t.Fatal(err)
	}

	if len(obs.verdicts) != len(streams) {
		t.Errorf("observer heard %d verdicts, want %d", len(obs.verdicts), len(streams))
	}
	seen := map[string]int{}
	for _, stream := range streams {
		if n := bat.completions(t, stream); n != 1 {
			t.Errorf("%s: %d completions", stream, n)
		}
		want, got := seq.run(t, stream), bat.run(t, stream)
		if got.Status != evaluationrun.StatusEvaluated || got.Version != want.Version {
			t.Errorf("%s: status %s at version %d, want evaluated at %d", stream, got.Status, got.Version, want.Version)
		}
		if !reflect.DeepEqual(got.Verdict, want.Verdict) {
			t.Errorf("%s: verdict\n%+v\nwant\n%+v", stream, got.Verdict, want.Verdict)
		}
		if !bytes.Equal(got.Metrics, want.Metrics) || !reflect.DeepEqual(got.Derivations, want.Derivations) {
			t.Errorf("%s: metrics %s %v, want %s %v", stream, got.Metrics, got.Derivations, want.Metrics, want.Derivations)
		}
		if !reflect.DeepEqual(got.Rules, want.Rules) {
			t.Errorf("%s: rules %+v, want %+v", stream, got.Rules, want.Rules)
		}
		note, _, _ := strings.Cut(got.Verdict.Note, ":")
		seen[fmt.Sprintf("%s v%d %s", got.Verdict.Status, got.Verdict.PolicyVersion, note)]++
	}
	// The history must exercise what it is meant to: pass, warn and fail
	// verdicts under both gamma versions, and both fail-closed notes.
	for _, want := range []string{"pass v1 ", "fail v2 ", "warn v1 ", "fail v0 E_POLICY_INVALID", "fail v2 E_POLICY_VERSION_NOT_FOUND"} {
		if seen[want] == 0 {
			t.Errorf("no verdict %q among %v", want, seen)
		}
	}
}

// TestEvaluatorBatchUsesThePolicyOfEachPosition hands one batch with
// submissions before and after changes of a world's default policy and
// settings, to an evaluator whose cache already holds the world, and checks
// that each run is evaluated under what held at its own position; a run
// naming a version published only later in the stream fails as if the
// version did not exist.
func TestEvaluatorBatchUsesThePolicyOfEachPosition(t *testing.T) {
	f := newFixture(t)
	ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	f.publish(t, "w1", testPolicy)
	f.publish(t, "w2", lenientPolicy)
	warm := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s", RunID: "warm", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
	warm2 := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w2", StrategyID: "s", RunID: "warm", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
	if err := ev.HandleBatch(f.ctx, f.all(t, 0)); err != nil { // the cache now holds w1 and w2
		t.Fatal(err)
	}
	from := f.head(t)

	sub := func(world, id string, version int) string {
		return f.submit(t, events.EvaluationRunSubmitted{WorldID: world, StrategyID: "s", RunID: id, Stage: "backtest", RiskTier: "unknown", PolicyVersion: version, Returns: ptrs(appendixB)}).Stream
	}
	before := sub("w1", "before", 0)
	early := sub("w1", "early", 2)     // names version 2 before it is published
	f.publish(t, "w1", strictPolicy)   // version 2, not yet the default
	between := sub("w1", "between", 0) // still version 1
	f.setDefault(t, "w1", 2)
	after := sub("w1", "after", 0)
	named := sub("w1", "named", 1) // the old version, by name
	lenient := sub("w2", "open", 0)
	f.settings(t, events.WorldSettingsUpdated{WorldID: "w2", RiskProfile: &events.WorldRiskProfile{Tier: "high"}, ClientCritical: true})
	critical := sub("w2", "closed", 0)
	f.setDefault(t, "w1", 1) // back to version 1, after every run of the batch

	if err := ev.HandleBatch(f.ctx, f.all(t, from)); err != nil {
		t.Fatal(err)
	}
	lp, _ := policy.Parse([]byte(lenientPolicy))
	for _, tc := range []struct {
		stream, status string
		version        int
		note, hash     string
	}{
		{warm.Stream, "pass", 1, "", ""},
		{before, "pass", 1, "", ""},
		{early, "fail", 2, "E_POLICY_VERSION_NOT_FOUND: world w1 has no policy version 2; the run fails closed", ""},
		{between, "pass", 1, "", ""},
		{after, "fail", 2, "", ""},
		{named, "pass", 1, "", ""},
		{warm2.Stream, "warn", 1, "", lp.RulesetHash("backtest", false)},
		{lenient, "warn", 1, "", lp.RulesetHash("backtest", false)},
		{critical, "fail", 1, "", lp.RulesetHash("backtest", true)},
	} {
		v := f.run(t, tc.stream).Verdict
		if v.Status != tc.status || v.PolicyVersion != tc.version || v.Note != tc.note || tc.hash != "" && v.RulesetHash != tc.hash {
			t.Errorf("%s: verdict %s, policy_version %d, note %q, hash %s; want %s, %d, %q, %s",
				tc.stream, v.Status, v.PolicyVersion, v.Note, v.RulesetHash, tc.status, tc.version, tc.note, tc.hash)
		}
	}
}

// TestEvaluatorBatchRedeliveryAppendsNothing hands the same batch twice, as
// the runner does after a failure or a crash: the second time nothing is
// appended and no verdict is reported.
func TestEvaluatorBatchRedeliveryAppendsNothing(t *testing.T) {
	f := newFixture(t)
	batchHistory(t, f, nil)
	obs := &recorder{}
	ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }), WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	recs := f.all(t, 0)
	if err := ev.HandleBatch(f.ctx, recs); err != nil {
		t.Fatal(err)
	}
	head, heard := f.head(t), len(obs.verdicts)
	// Again, to this evaluator and to a fresh one (a restarted process);
	// the second time with the completions in the batch too.
	fresh, _ := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow.Add(time.Hour) }), WithObserver(obs))
	for _, e := range []*Evaluator{ev, fresh} {
		if err := e.HandleBatch(f.ctx, recs); err != nil {
			t.Fatal(err)
		}
		recs = f.all(t, 0)
	}
	if h := f.head(t); h != head {
		t.Fatalf("re-delivery appended %d events", h-head)
	}
	if len(obs.verdicts) != heard {
		t.Fatalf("re-delivery reported %d verdicts", len(obs.verdicts)-heard)
	}
}

// TestEvaluatorFallsBackWhenTheRunMoved checks the paths where the run
// stream holds more than the submission when the completion is appended:
// an annotation recorded before the evaluation (the run is still
// evaluated, after it), and a completion with other content already
// recorded under the evaluator's key (nothing is appended).
func TestEvaluatorFallsBackWhenTheRunMoved(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", testPolicy)
	ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}

	annotated := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s", RunID: "annotated", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
	note, err := f.reg.New(events.ExPostFailureRecorded{Status: "open", Category: "data", ReasonCode: "late_fill", Actor: "ops", RecordedAt: events.FormatTime(fixedNow), Source: "test"},
		events.Meta{IdempotencyKey: "expost:annotated", OccurredAt: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Append(f.ctx, annotated.Stream, eventstore.Exact(1), note); err != nil {
		t.Fatal(err)
	}

	// A completion recorded under the evaluator's key with two events
	// (a fail-closed one), where the evaluator now decides seven: the
	// fast path's append mixes stored and new ids.
	other := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s", RunID: "other", Stage: "backtest", RiskTier: "unknown", Returns: ptrs(appendixB)})
	prior := failed(events.Meta{IdempotencyKey: "evaluation_completed:" + other.Stream, OccurredAt: fixedNow, Actor: EvaluatorName}, nil, nil, 0, "E_POLICY_INVALID: recorded earlier")
	if _, err := aggregates.Update(f.ctx, f.repo, other.Stream, func(r *evaluationrun.Run) ([]events.Event, error) { return r.Complete(f.reg, prior) }); err != nil {
		t.Fatal(err)
	}

	head := f.head(t)
	if err := ev.HandleBatch(f.ctx, []events.Record{annotated, other}); err != nil {
		t.Fatal(err)
	}
	run := f.run(t, annotated.Stream)
	if run.Status != evaluationrun.StatusEvaluated || run.Verdict.Status != "pass" || run.ExPostFailures != 1 || run.Version != 2+7 {
		t.Fatalf("annotated run: %s %s, %d ex-post failures, version %d", run.Status, run.Verdict.Status, run.ExPostFailures, run.Version)
	}
	if got := f.head(t) - head; got != 7 {
		t.Fatalf("appended %d events, want the annotated run's 7", got)
	}
	if v := f.run(t, other.Stream).Verdict; v.Note != "E_POLICY_INVALID: recorded earlier" {
		t.Fatalf("the recorded completion changed: %+v", v)
	}
}
