package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/validation/rules"
)

// passLog is an [ExtendedObserver] that remembers the passes it hears of.
type passLog struct {
	mu     sync.Mutex
	passes []string // "stage status"
}

func (l *passLog) ExtendedPass(_, stage, status string, _ time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.passes = append(l.passes, stage+" "+status)
}

func (l *passLog) SnapshotMissing(string) {}

// batchValidator returns an extended validator that the test hands batches
// to itself (it is not among f.handlers, so pump only evaluates).
func batchValidator(t *testing.T, f *xfix, opts ...ExtendedOption) *ExtendedValidator {
	t.Helper()
	opts = append([]ExtendedOption{WithExtendedClock(func() time.Time { return fixedNow })}, opts...)
	x, err := NewExtendedValidator(f.repo, RunViewSource{Runs: f.runs}, ExtendedConfig{}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// evaluateAll evaluates every submission not yet evaluated (and catches
// the run read model up) and returns every stored event after from, the
// batch a runner that had reached from would be handed.
func (f *xfix) evaluateAll(t *testing.T, from uint64) []events.Record {
	t.Helper()
	f.pump(t)
	recs, err := f.store.ReadAll(f.ctx, from, 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// upTo returns the events of recs up to and including the n-th trigger of
// type typ.
func upTo(t *testing.T, recs []events.Record, typ string, n int) []events.Record {
	t.Helper()
	for i := range recs {
		if recs[i].Type == typ {
			if n--; n == 0 {
				return recs[:i+1]
			}
		}
	}
	t.Fatalf("fewer than %d %s", n, typ)
	return nil
}

// cohortContextOf decodes a result's cohort_context.
func cohortContextOf(t *testing.T, p *events.ExtendedValidationCompleted) cohortContext {
	t.Helper()
	var cc cohortContext
	if err := json.Unmarshal(p.CohortContext, &cc); err != nil {
		t.Fatal(err)
	}
	return cc
}

// cohortByID returns the stored CohortEvaluated with event id id.
func (f *xfix) cohortByID(t *testing.T, id string) (events.Record, *events.CohortEvaluated) {
	t.Helper()
	for _, r := range f.ofType(t, events.TypeCohortEvaluated) {
		if r.ID == id {
			c, err := events.DecodeAs[events.CohortEvaluated](f.reg, &r.Event)
			if err != nil {
				t.Fatal(err)
			}
			return r, c
		}
	}
	t.Fatalf("no CohortEvaluated %s", id)
	return events.Record{}, nil
}

// triggerOf decodes a result's trigger.
func triggerOf(t *testing.T, p *events.ExtendedValidationCompleted) events.Trigger {
	t.Helper()
	var trig events.Trigger
	if err := json.Unmarshal(p.Trigger, &trig); err != nil {
		t.Fatal(err)
	}
	return trig
}

func membersOf(c *events.CohortEvaluated) string {
	s := make([]string, len(c.Members))
	for i, m := range c.Members {
		s[i] = m.StrategyID + "/" + m.RunID
	}
	return strings.Join(s, ",")
}

// TestExtendedBatchCoalescesRunTriggers: the three EvaluationCompleted of
// seedWorld handed over in one batch are passed once, over the cohort as of
// the last of them: one CohortEvaluated (keyed by a digest of the three
// trigger keys, naming the last) listing all three runs, and one result per
// run under the run's own trigger. The last run's result is the one the
// triggers handled one at a time give it; the earlier runs see the whole
// cohort too (s2 drops out of the top 2, which it was in when its cohort
// was {s1, s2}). The same batch handed over again appends nothing.
func TestExtendedBatchCoalescesRunTriggers(t *testing.T) {
	// One at a time, as TestExtendedTargetedPasses.
	seq := newXFix(t)
	seq.extended(t, ExtendedConfig{})
	seedWorld(t, seq)
	seqS3 := seq.extendedOf(t, "w", "s3", "r1")[0]

	f := newXFix(t)
	obs := &passLog{}
	x := batchValidator(t, f, WithExtendedObserver(obs))
	f.publish(t, "w", extendedPolicy)
	f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: twoAssetCov(), stress: `{"crash": {"max_drawdown": 0.3}}`})
	f.evaluated(t, "w", "s1", "r1", "backtest", `{"returns": {"sharpe": 1.2, "max_drawdown": -0.05}}`)
	f.evaluated(t, "w", "s2", "r1", "backtest", `{"returns": {"sharpe": 0.8, "max_drawdown": -0.04}}`)
	f.evaluated(t, "w", "s3", "r1", "backtest", `{"returns": {"sharpe": 1.5, "max_drawdown": -0.06}}`)
	batch := f.evaluateAll(t, 0)
	if err := x.HandleBatch(f.ctx, batch); err != nil {
		t.Fatal(err)
	}

	// One pass: the snapshot, before the runs are evaluated, records nothing.
	if strings.Join(obs.passes, ";") != "backtest success" {
		t.Errorf("passes %q, want one successful backtest pass", obs.passes)
	}
	cohorts := f.ofType(t, events.TypeCohortEvaluated)
	if len(cohorts) != 1 {
		t.Fatalf("%d CohortEvaluated, want 1", len(cohorts))
	}
	completions := f.ofType(t, events.TypeEvaluationCompleted)
	keys := []string{"evaluation_run_created:w:s1:r1:1", "evaluation_run_created:w:s2:r1:1", "evaluation_run_created:w:s3:r1:1"}
	g := &cohortGroup{trigs: []events.Trigger{{IdempotencyKey: keys[2]}, {IdempotencyKey: keys[0]}, {IdempotencyKey: keys[1]}}}
	_, suffix := g.cohortTrigger()
	if !strings.HasPrefix(suffix, "batch:") || len(suffix) != len("batch:")+32 {
		t.Fatalf("digest suffix %q", suffix)
	}
	c, err := events.DecodeAs[events.CohortEvaluated](f.reg, &cohorts[0].Event)
	if err != nil {
		t.Fatal(err)
	}
	last := completions[2]
	if cohorts[0].IdempotencyKey != "cohort_evaluated:w:stage:backtest:"+suffix || cohorts[0].CausationID != last.ID ||
		c.Trigger != (events.Trigger{EventType: events.TypeEvaluationCompleted, EventID: last.ID, IdempotencyKey: keys[2]}) {
		t.Errorf("cohort key %s, causation %s, trigger %+v", cohorts[0].IdempotencyKey, cohorts[0].CausationID, c.Trigger)
	}
	// The cohort of the third pass of TestExtendedTargetedPasses: median of
	// {1.2, 0.8, 1.5} = 1.2, top 2 = s1 and s3.
	if membersOf(c) != "s1/r1,s2/r1,s3/r1" || c.MedianSharpe == nil || *c.MedianSharpe != 1.2 || strings.Join(c.TopKSelected, ",") != "s1,s3" {
		t.Errorf("cohort %+v", c)
	}

	for i, s := range []string{"s1", "s2", "s3"} {
		evs := f.extendedOf(t, "w", s, "r1")
		if len(evs) != 1 {
			t.Fatalf("%s: %d extended results, want 1", s, len(evs))
		}
		p := evs[0]
		if trig := triggerOf(t, p); trig != (events.Trigger{EventType: events.TypeEvaluationCompleted, EventID: completions[i].ID, IdempotencyKey: keys[i]}) {
			t.Errorf("%s: trigger %+v", s, trig)
		}
		stream, _ := events.RunStream("w", s, "r1")
		recs, _ := f.store.ReadStream(f.ctx, stream, 1, 0)
		rec := recs[len(recs)-1]
		if rec.IdempotencyKey != evaluationrun.ExtendedKey("w", s, "r1", keys[i]) || rec.CausationID != completions[i].ID {
			t.Errorf("%s: key %s, causation %s", s, rec.IdempotencyKey, rec.CausationID)
		}
		if cc := cohortContextOf(t, p); cc.Cohort.EventID != cohorts[0].ID || cc.Size != 3 {
			t.Errorf("%s: cohort context %+v", s, cc)
		}
		v := f.view(t, "w", s, "r1")
		if got, ok := metricAt(t, v, "risk", "incremental_var_99"); !ok || !closeTo(got, wantIncremental[s]) {
			t.Errorf("%s: risk.incremental_var_99 = %v, want %v", s, got, wantIncremental[s])
		}
	}
	s2 := resultsOf(t, f.extendedOf(t, "w", "s2", "r1")[0].Results)
	if r, _ := s2.Get(rules.Cohort); r.Status != rules.Fail || r.ReasonCode != "cohort_top_k_exceeded" {
		t.Errorf("s2 cohort %+v, want outside the top 2", r)
	}

	// The last run: what the triggers one at a time give it.
	s3 := f.extendedOf(t, "w", "s3", "r1")[0]
	for name, pair := range map[string][2]json.RawMessage{
		"results": {s3.Results, seqS3.Results}, "metrics_patch": {s3.MetricsPatch, seqS3.MetricsPatch},
		"extended_summary": {s3.ExtendedSummary, seqS3.ExtendedSummary}, "snapshot": {s3.Snapshot, seqS3.Snapshot},
	} {
		if !bytes.Equal(pair[0], pair[1]) {
			t.Errorf("s3 %s:\nbatch      %s\none by one %s", name, pair[0], pair[1])
		}
	}
	got, want := cohortContextOf(t, s3), cohortContextOf(t, seqS3)
	got.Cohort = want.Cohort // another event, on the same stream
	if g, w, _ := jsonPair(got, want); g != w {
		t.Errorf("s3 cohort context\nbatch      %s\none by one %s", g, w)
	}
	if r, _ := resultsOf(t, s3.Results).Get(rules.Cohort); r.Status != rules.Pass {
		t.Errorf("s3 cohort %+v", r)
	}

	head := f.head(t)
	if err := x.HandleBatch(f.ctx, batch); err != nil {
		t.Fatal(err)
	}
	if h := f.head(t); h != head {
		t.Fatalf("the batch handed over again appended %d events", h-head)
	}
	// A fresh handler (a restarted process) neither.
	if err := batchValidator(t, f).HandleBatch(f.ctx, batch); err != nil {
		t.Fatal(err)
	}
	if h := f.head(t); h != head {
		t.Fatalf("the batch handed to a restarted handler appended %d events", h-head)
	}
}

func jsonPair(a, b any) (string, string, error) {
	x, err := json.Marshal(a)
	if err != nil {
		return "", "", err
	}
	y, err := json.Marshal(b)
	return string(x), string(y), err
}

// seedRuns publishes the policy, records snapshot v1 and evaluates n
// backtest runs s1…sn, returning everything stored as one batch.
func seedRuns(t *testing.T, f *xfix, n int) []events.Record {
	t.Helper()
	f.publish(t, "w", extendedPolicy)
	f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: twoAssetCov()})
	for i := 1; i <= n; i++ {
		f.evaluated(t, "w", fmt.Sprintf("s%d", i), "r1", "backtest", fmt.Sprintf(`{"returns": {"sharpe": %.1f, "max_drawdown": -0.05}}`, 0.5+0.1*float64(i)))
	}
	return f.evaluateAll(t, 0)
}

// TestExtendedBatchRedeliveredOtherwise: a batch whose first half was
// handled (and recorded) before is handed over whole: every run has exactly
// one result, none twice, none dropped. Then a crash between a coalesced
// cohort's append and its targets' results, with a recorded cohort that
// lacks a target (as a redelivery that groups the triggers as before but
// sees other runs might find): the missing target gets a pass of its own,
// under its own trigger's cohort key.
func TestExtendedBatchRedeliveredOtherwise(t *testing.T) {
	const n = 6
	f := newXFix(t)
	x := batchValidator(t, f)
	batch := seedRuns(t, f, n)
	half := upTo(t, batch, events.TypeEvaluationCompleted, n/2)
	if err := x.HandleBatch(f.ctx, half); err != nil {
		t.Fatal(err)
	}
	if err := batchValidator(t, f).HandleBatch(f.ctx, batch); err != nil {
		t.Fatal(err)
	}
	cohorts := f.ofType(t, events.TypeCohortEvaluated)
	if len(cohorts) != 2 {
		t.Fatalf("%d CohortEvaluated, want 2 (one per delivery)", len(cohorts))
	}
	for i := 1; i <= n; i++ {
		s := fmt.Sprintf("s%d", i)
		evs := f.extendedOf(t, "w", s, "r1")
		if len(evs) != 1 {
			t.Fatalf("%s: %d extended results, want 1", s, len(evs))
		}
		want := cohorts[1].ID
		if i <= n/2 {
			want = cohorts[0].ID
		}
		if cc := cohortContextOf(t, evs[0]); cc.Cohort.EventID != want || triggerOf(t, evs[0]).IdempotencyKey != "evaluation_run_created:w:"+s+":r1:1" {
			t.Errorf("%s: cohort %s, want %s; trigger %s", s, cc.Cohort.EventID, want, evs[0].Trigger)
		}
	}
	_, c := f.cohortByID(t, cohorts[1].ID)
	if len(c.Members) != n {
		t.Errorf("the whole batch's cohort has %d members, want %d", len(c.Members), n)
	}

	// The crash: a cohort recorded under the digest key of s1…s3 without s3.
	g := newXFix(t)
	batch = seedRuns(t, g, 3)
	completions := g.ofType(t, events.TypeEvaluationCompleted)
	grp := &cohortGroup{}
	for i, rec := range completions {
		grp.trigs = append(grp.trigs, events.Trigger{EventType: rec.Type, EventID: rec.ID, IdempotencyKey: fmt.Sprintf("evaluation_run_created:w:s%d:r1:1", i+1)})
	}
	trig, suffix := grp.cohortTrigger()
	ev, err := g.reg.New(events.CohortEvaluated{
		WorldID: "w", Stage: "backtest", Members: []events.CohortMember{{StrategyID: "s1", RunID: "r1"}, {StrategyID: "s2", RunID: "r1"}},
		TopKSelected: []string{}, PolicyVersion: 1, Trigger: trig,
	}, events.Meta{IdempotencyKey: "cohort_evaluated:w:stage:backtest:" + suffix, OccurredAt: fixedNow, Actor: ExtendedName, CausationID: trig.EventID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.store.Append(g.ctx, "cohort/w/backtest", eventstore.Any{}, ev); err != nil {
		t.Fatal(err)
	}
	obs := &passLog{}
	if err := batchValidator(t, g, WithExtendedObserver(obs)).HandleBatch(g.ctx, batch); err != nil {
		t.Fatal(err)
	}
	if strings.Join(obs.passes, ";") != "backtest success;backtest success" {
		t.Errorf("passes %q, want the shared one and s3's own", obs.passes)
	}
	cohorts = g.ofType(t, events.TypeCohortEvaluated)
	if len(cohorts) != 2 || cohorts[0].ID != ev.ID || cohorts[1].IdempotencyKey != "cohort_evaluated:w:stage:backtest:evaluation_run_created:w:s3:r1:1" {
		t.Fatalf("cohorts %+v", cohorts)
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		evs := g.extendedOf(t, "w", s, "r1")
		if len(evs) != 1 {
			t.Fatalf("%s: %d extended results, want 1", s, len(evs))
		}
		want := ev.ID
		if s == "s3" {
			want = cohorts[1].ID
		}
		if cc := cohortContextOf(t, evs[0]); cc.Cohort.EventID != want {
			t.Errorf("%s: cohort %s, want %s", s, cc.Cohort.EventID, want)
		}
	}
	_, own := g.cohortByID(t, cohorts[1].ID)
	if membersOf(own) != "s1/r1,s2/r1,s3/r1" || own.Trigger.IdempotencyKey != "evaluation_run_created:w:s3:r1:1" {
		t.Errorf("s3's own cohort %+v", own)
	}
}

// TestExtendedBatchSnapshotIsABoundary: in a batch [s1 and s2 evaluated,
// snapshot v2, s3 evaluated], s1 and s2 are passed together under v1 before
// the snapshot, the snapshot re-validates them (s3 was evaluated after it),
// and s3 is passed after it, under v2.
func TestExtendedBatchSnapshotIsABoundary(t *testing.T) {
	f := newXFix(t)
	obs := &passLog{}
	x := batchValidator(t, f, WithExtendedObserver(obs))
	f.publish(t, "w", extendedPolicy)
	v1 := f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: twoAssetCov(), stress: `{"crash": {"max_drawdown": 0.3}}`})
	// The first pass of a handler seeds its view of the world from the run
	// read model, whatever that has reached; from then on the handler
	// follows its own events. Seed it before the runs are submitted, so
	// that the read model, caught up below, cannot show it s3 early.
	if err := x.HandleBatch(f.ctx, f.evaluateAll(t, 0)); err != nil {
		t.Fatal(err)
	}
	from := f.head(t)
	f.evaluated(t, "w", "s1", "r1", "backtest", `{"returns": {"sharpe": 1.2, "max_drawdown": -0.05}}`)
	f.evaluated(t, "w", "s2", "r1", "backtest", `{"returns": {"sharpe": 0.8, "max_drawdown": -0.04}}`)
	f.pump(t)
	v2 := f.snapshot(t, snapshotSpec{world: "w", version: "v2", asOf: "2026-03-01T11:30:00Z", weights: map[string]float64{"s1": 0.6, "s2": 0.4}})
	f.evaluated(t, "w", "s3", "r1", "backtest", `{"returns": {"sharpe": 1.5, "max_drawdown": -0.06}}`)
	batch := f.evaluateAll(t, from)
	if types := strings.Join(triggerTypes(batch), ","); types != "EvaluationCompleted,EvaluationCompleted,RiskSnapshotRecorded,EvaluationCompleted" {
		t.Fatalf("the batch's triggers: %s", types)
	}
	if err := x.HandleBatch(f.ctx, batch); err != nil {
		t.Fatal(err)
	}
	if strings.Join(obs.passes, ";") != "backtest success;backtest success;backtest success" {
		t.Errorf("passes %q, want s1+s2, the snapshot's, s3's", obs.passes)
	}
	ref := func(s events.RiskSnapshotRecorded) string {
		return `{"version":"` + s.Version + `","hash":"` + s.Hash + `"}`
	}
	for _, s := range []string{"s1", "s2"} {
		evs := f.extendedOf(t, "w", s, "r1")
		if len(evs) != 2 {
			t.Fatalf("%s: %d extended results, want 2", s, len(evs))
		}
		if string(evs[0].Snapshot) != ref(v1) || triggerOf(t, evs[0]).EventType != events.TypeEvaluationCompleted {
			t.Errorf("%s before the snapshot: snapshot %s, trigger %s", s, evs[0].Snapshot, evs[0].Trigger)
		}
		// Under v1, the leave-one-out risk of the hand-worked portfolio.
		var patch map[string]any
		if err := json.Unmarshal(evs[0].MetricsPatch, &patch); err != nil {
			t.Fatal(err)
		}
		if got, ok := valueAt(patch, "risk", "incremental_var_99").(float64); !ok || !closeTo(got, wantIncremental[s]) {
			t.Errorf("%s before the snapshot: incremental VaR %v, want %v", s, got, wantIncremental[s])
		}
		if cc := cohortContextOf(t, evs[0]); cc.Size != 2 {
			t.Errorf("%s before the snapshot: cohort of %d, want 2", s, cc.Size)
		}
		if string(evs[1].Snapshot) != ref(v2) || triggerOf(t, evs[1]).IdempotencyKey != "risk_snapshot_updated:w:"+v2.Hash+":1" {
			t.Errorf("%s at the snapshot: snapshot %s, trigger %s", s, evs[1].Snapshot, evs[1].Trigger)
		}
	}
	evs := f.extendedOf(t, "w", "s3", "r1")
	if len(evs) != 1 || string(evs[0].Snapshot) != ref(v2) || triggerOf(t, evs[0]).EventType != events.TypeEvaluationCompleted {
		t.Fatalf("s3: %d results, snapshot %s", len(evs), evs[0].Snapshot)
	}
	// v2 has no covariance: the fallback baseline, as in
	// TestExtendedPatchFollowsTheSnapshot.
	v := f.view(t, "w", "s3", "r1")
	var doc map[string]any
	_ = json.Unmarshal(v.Metrics, &doc)
	if src := valueAt(doc, "diagnostics", "extra_metrics", "portfolio_baseline_source"); src != "fallback" {
		t.Errorf("s3 baseline source %v, want fallback (v2)", src)
	}
	if cc := cohortContextOf(t, evs[0]); cc.Size != 3 {
		t.Errorf("s3: cohort of %d, want 3", cc.Size)
	}
}

// triggerTypes lists the types of the triggers among recs.
func triggerTypes(recs []events.Record) []string {
	var out []string
	for _, r := range recs {
		if triggerScope(r.Type) != 0 {
			out = append(out, r.Type)
		}
	}
	return out
}

// submitAt submits a run at a given time (which orders a strategy's runs).
func submitAt(t *testing.T, f *xfix, req events.EvaluationRunSubmitted, at time.Time) {
	t.Helper()
	stream, _ := events.RunStream(req.WorldID, req.StrategyID, req.RunID)
	h, err := evaluationrun.RequestHash(req)
	if err != nil {
		t.Fatal(err)
	}
	req.RequestHash = h
	if _, err := aggregates.Update(f.ctx, f.repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
		return r.Submit(f.reg, evaluationrun.Submit{Meta: events.Meta{IdempotencyKey: "sub:" + stream, OccurredAt: at}, Request: req})
	}); err != nil {
		t.Fatal(err)
	}
}

// TestExtendedBatchSameStrategy: two runs of s1 evaluated in one batch. r2,
// the later, is s1's latest: it shares the pass of s2 (cohort {s1/r2, s2},
// median Sharpe (0.6 + 0.8)/2 = 0.7). r1 gets a pass of its own, which
// forces it into the cohort in place of r2 (cohort {s1/r1, s2}, median
// (1.2 + 0.8)/2 = 1.0), as a pass of its trigger alone would. Then a run
// triggered twice in one batch (its evaluation and an override) gets two
// results, in trigger order, each under its own trigger.
func TestExtendedBatchSameStrategy(t *testing.T) {
	f := newXFix(t)
	x := batchValidator(t, f)
	f.publish(t, "w", extendedPolicy)
	f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: twoAssetCov()})
	base := fixedNow.Add(-time.Hour)
	submitAt(t, f, events.EvaluationRunSubmitted{WorldID: "w", StrategyID: "s1", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Metrics: json.RawMessage(`{"returns": {"sharpe": 1.2, "max_drawdown": -0.05}}`)}, base)
	submitAt(t, f, events.EvaluationRunSubmitted{WorldID: "w", StrategyID: "s2", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Metrics: json.RawMessage(`{"returns": {"sharpe": 0.8, "max_drawdown": -0.04}}`)}, base.Add(time.Minute))
	submitAt(t, f, events.EvaluationRunSubmitted{WorldID: "w", StrategyID: "s1", RunID: "r2", Stage: "backtest", RiskTier: "unknown", Metrics: json.RawMessage(`{"returns": {"sharpe": 0.6, "max_drawdown": -0.05}}`)}, base.Add(2*time.Minute))
	if err := x.HandleBatch(f.ctx, f.evaluateAll(t, 0)); err != nil {
		t.Fatal(err)
	}
	cohortOfRun := func(s, r string) *events.CohortEvaluated {
		evs := f.extendedOf(t, "w", s, r)
		if len(evs) != 1 {
			t.Fatalf("%s/%s: %d extended results, want 1", s, r, len(evs))
		}
		_, c := f.cohortByID(t, cohortContextOf(t, evs[0]).Cohort.EventID)
		return c
	}
	shared, own := cohortOfRun("s1", "r2"), cohortOfRun("s1", "r1")
	if membersOf(shared) != "s2/r1,s1/r2" || *shared.MedianSharpe != 0.7 || !strings.HasSuffix(shared.Trigger.IdempotencyKey, ":s1:r2:1") {
		t.Errorf("shared cohort %+v", shared)
	}
	if s2 := cohortOfRun("s2", "r1"); membersOf(s2) != membersOf(shared) || s2.Trigger != shared.Trigger {
		t.Errorf("s2's cohort %+v, want the shared one", s2)
	}
	if membersOf(own) != "s1/r1,s2/r1" || *own.MedianSharpe != 1.0 || own.Trigger.IdempotencyKey != "evaluation_run_created:w:s1:r1:1" {
		t.Errorf("r1's own cohort %+v", own)
	}
	if n := len(f.ofType(t, events.TypeCohortEvaluated)); n != 2 {
		t.Errorf("%d CohortEvaluated, want 2", n)
	}

	// A run evaluated and overridden within one batch: s3/r1's revisions are
	// its submission, its evaluation and the override (3).
	from := f.head(t)
	submitAt(t, f, events.EvaluationRunSubmitted{WorldID: "w", StrategyID: "s3", RunID: "r1", Stage: "backtest", RiskTier: "unknown", Metrics: json.RawMessage(`{"returns": {"sharpe": 1.5, "max_drawdown": -0.06}}`)}, base.Add(3*time.Minute))
	f.pump(t)
	stream, _ := events.RunStream("w", "s3", "r1")
	if _, err := aggregates.Update(f.ctx, f.repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
		return r.RecordOverride(f.reg, evaluationrun.RecordOverride{Meta: events.Meta{IdempotencyKey: "ov-1", OccurredAt: fixedNow}, Status: "rejected"})
	}); err != nil {
		t.Fatal(err)
	}
	if err := x.HandleBatch(f.ctx, f.evaluateAll(t, from)); err != nil {
		t.Fatal(err)
	}
	evs := f.extendedOf(t, "w", "s3", "r1")
	if len(evs) != 2 {
		t.Fatalf("s3: %d extended results, want 2", len(evs))
	}
	for i, want := range []string{"evaluation_run_created:w:s3:r1:1", "evaluation_run_updated:w:s3:r1:override:3"} {
		if trig := triggerOf(t, evs[i]); trig.IdempotencyKey != want || evs[i].ExtendedRevision != i+1 {
			t.Errorf("s3 result %d: trigger %+v, revision %d", i, trig, evs[i].ExtendedRevision)
		}
	}
	if !bytes.Equal(evs[0].Results, evs[1].Results) {
		t.Errorf("s3's two results differ:\n%s\n%s", evs[0].Results, evs[1].Results)
	}
}

// TestExtendedBatchSkipsStagesWithoutLayers: under a policy whose only
// layer is paper/shadow consistency, backtest runs get no pass at all (none
// is observed, nothing recorded), while a paper run of the same batch is
// passed and recorded.
func TestExtendedBatchSkipsStagesWithoutLayers(t *testing.T) {
	f := newXFix(t)
	log := &passLog{}
	x := batchValidator(t, f, WithExtendedObserver(log))
	f.publish(t, "w", `{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}}, "paper_shadow_consistency": {"min_sharpe_ratio": 0.5}}`)
	base := fixedNow.Add(-time.Hour)
	for i, s := range []string{"s1", "s2", "s3"} {
		submitAt(t, f, events.EvaluationRunSubmitted{WorldID: "w", StrategyID: s, RunID: "bt", Stage: "backtest", RiskTier: "unknown",
			Metrics: json.RawMessage(`{"returns": {"sharpe": 1.2, "max_drawdown": -0.05}}`)}, base.Add(time.Duration(i)*time.Minute))
	}
	submitAt(t, f, events.EvaluationRunSubmitted{WorldID: "w", StrategyID: "s1", RunID: "paper", Stage: "paper", RiskTier: "unknown",
		Metrics: json.RawMessage(`{"returns": {"sharpe": 0.9, "max_drawdown": -0.06}}`)}, base.Add(5*time.Minute))
	if err := x.HandleBatch(f.ctx, f.evaluateAll(t, 0)); err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	passes := strings.Join(log.passes, "; ")
	log.mu.Unlock()
	if strings.Contains(passes, "backtest") || !strings.Contains(passes, "paper") {
		t.Fatalf("passes %q: want the paper cohort's only", passes)
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		if evs := f.extendedOf(t, "w", s, "bt"); len(evs) != 0 {
			t.Errorf("%s/bt: %d extended results, want none", s, len(evs))
		}
	}
	if evs := f.extendedOf(t, "w", "s1", "paper"); len(evs) != 1 {
		t.Fatalf("s1/paper: %d extended results, want 1", len(evs))
	}
}
