package evaluationrun_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
)

var t0 = time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)

func request() events.EvaluationRunSubmitted {
	r1, r2 := 0.01, -0.02
	return events.EvaluationRunSubmitted{
		WorldID: "w1", StrategyID: "s1", RunID: "run-1",
		Stage: " Paper ", RiskTier: "HIGH",
		Metrics: json.RawMessage(`{"returns":{"sharpe":1.2,"max_drawdown":0.1}}`),
		Returns: []*float64{&r1, nil, &r2},
	}
}

func submitCmd(key string, req events.EvaluationRunSubmitted) evaluationrun.Submit {
	return evaluationrun.Submit{Meta: events.Meta{IdempotencyKey: key, OccurredAt: t0, Actor: "runner"}, Request: req}
}

func completeCmd(key string, rules ...string) evaluationrun.Complete {
	c := evaluationrun.Complete{
		Meta:    events.Meta{IdempotencyKey: key, OccurredAt: t0.Add(time.Minute), Actor: "evaluator"},
		Metrics: events.MetricsComputed{Metrics: json.RawMessage(`{"returns":{"sharpe":1.2}}`), Derivations: []string{"core"}},
		Verdict: events.EvaluationCompleted{Status: "pass", RecommendedStage: "paper_only", Active: true, PolicyVersion: 1, RulesetHash: "blake3:00"},
	}
	for _, name := range rules {
		c.Rules = append(c.Rules, events.RuleEvaluated{Rule: name, Result: json.RawMessage(`{"status":"pass"}`), PolicyVersion: 1, RulesetHash: "blake3:00"})
	}
	return c
}

// records places evs in a stream as a store would (versions 1…n).
func records(evs []events.Event) []events.Record {
	out := make([]events.Record, len(evs))
	for i, ev := range evs {
		out[i] = events.Record{Event: ev, Stream: "evaluation-run/w1/s1/run-1", StreamVersion: uint64(i + 1), GlobalPosition: uint64(i + 1)}
	}
	return out
}

// given folds the events of the given decisions into a run.
func given(t *testing.T, reg *events.Registry, decisions ...[]events.Event) *evaluationrun.Run {
	t.Helper()
	var all []events.Event
	for _, d := range decisions {
		all = append(all, d...)
	}
	run, err := aggregates.Fold[evaluationrun.Run](reg, records(all))
	if err != nil {
		t.Fatalf("fold: %v", err)
	}
	return run
}

// must returns a function that fails the test on a command error and
// otherwise returns the command's events: must(t)(run.Submit(…)).
func must(t *testing.T) func([]events.Event, error) []events.Event {
	return func(evs []events.Event, err error) []events.Event {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
}

func TestSubmit(t *testing.T) {
	reg := events.Catalogue()
	var empty evaluationrun.Run
	first := must(t)(empty.Submit(reg, submitCmd("sub-1", request())))
	evaluating := func() *evaluationrun.Run { return given(t, reg, first) }
	evaluated := func() *evaluationrun.Run {
		return given(t, reg, first, must(t)(evaluating().Complete(reg, completeCmd("done-1", "sample"))))
	}
	other := request()
	other.Stage = "live"
	laidOutDifferently := request()
	laidOutDifferently.Metrics = json.RawMessage("{ \"returns\": { \"max_drawdown\": 0.1, \"sharpe\": 1.2 } }")
	laidOutDifferently.Stage, laidOutDifferently.RiskTier = "paper", "high"
	laidOutDifferently.SubmittedBy = "someone else"

	cases := []struct {
		name     string
		state    func() *evaluationrun.Run
		cmd      evaluationrun.Submit
		wantCode errcode.Code
		wantN    int
	}{
		{"first submission", func() *evaluationrun.Run { return &evaluationrun.Run{} }, submitCmd("sub-1", request()), "", 1},
		{"same key, same request while evaluating", evaluating, submitCmd("sub-1", request()), "", 0},
		{"new key, same request while evaluating", evaluating, submitCmd("sub-2", request()), "", 0},
		{"same request laid out differently", evaluating, submitCmd("sub-3", laidOutDifferently), "", 0},
		{"same request after evaluation", evaluated, submitCmd("sub-2", request()), "", 0},
		{"different request while evaluating", evaluating, submitCmd("sub-2", other), errcode.RunAlreadySubmitted, 0},
		{"different request after evaluation", evaluated, submitCmd("sub-2", other), errcode.RunAlreadyEvaluated, 0},
		{"same key, different request after evaluation", evaluated, submitCmd("sub-1", other), errcode.RunAlreadyEvaluated, 0},
		{"another run's request on this stream", evaluating, submitCmd("sub-2", func() events.EvaluationRunSubmitted { r := request(); r.RunID = "run-2"; return r }()), errcode.Validation, 0},
		{"no idempotency key", func() *evaluationrun.Run { return &evaluationrun.Run{} }, submitCmd("", request()), errcode.Validation, 0},
		{"no world", func() *evaluationrun.Run { return &evaluationrun.Run{} }, submitCmd("k", func() events.EvaluationRunSubmitted { r := request(); r.WorldID = ""; return r }()), errcode.Validation, 0},
		{"no strategy", func() *evaluationrun.Run { return &evaluationrun.Run{} }, submitCmd("k", func() events.EvaluationRunSubmitted { r := request(); r.StrategyID = ""; return r }()), errcode.Validation, 0},
		{"no run id", func() *evaluationrun.Run { return &evaluationrun.Run{} }, submitCmd("k", func() events.EvaluationRunSubmitted { r := request(); r.RunID = ""; return r }()), errcode.Validation, 0},
		{"negative policy version", func() *evaluationrun.Run { return &evaluationrun.Run{} }, submitCmd("k", func() events.EvaluationRunSubmitted { r := request(); r.PolicyVersion = -1; return r }()), errcode.Validation, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			state := tc.state()
			before := state.Version
			evs, err := state.Submit(reg, tc.cmd)
			if got := errcode.CodeOf(err); got != tc.wantCode {
				t.Fatalf("Submit error = %v (code %q), want code %q", err, got, tc.wantCode)
			}
			if len(evs) != tc.wantN {
				t.Fatalf("Submit returned %d events, want %d", len(evs), tc.wantN)
			}
			if state.Version != before {
				t.Fatal("a command changed the state")
			}
		})
	}
}

func TestSubmissionEvent(t *testing.T) {
	reg := events.Catalogue()
	var run evaluationrun.Run
	req := request()
	req.RequestHash = "forged"
	evs := must(t)(run.Submit(reg, submitCmd("sub-1", req)))
	ev := evs[0]
	if ev.ID != events.IDFromKey("sub-1") || ev.Type != events.TypeEvaluationRunSubmitted || ev.Actor != "runner" || !ev.OccurredAt.Equal(t0) {
		t.Fatalf("envelope %+v", ev)
	}
	got := given(t, reg, evs)
	if got.Status != evaluationrun.StatusEvaluating || got.SubmissionKey != "sub-1" || !got.SubmittedAt.Equal(t0) || got.Version != 1 {
		t.Fatalf("state %+v", got)
	}
	if got.Request.Stage != "paper" || got.Request.RiskTier != "high" {
		t.Fatalf("request not normalized: stage %q tier %q", got.Request.Stage, got.Request.RiskTier)
	}
	want, err := evaluationrun.RequestHash(request())
	if err != nil {
		t.Fatal(err)
	}
	if got.Request.RequestHash != want {
		t.Fatalf("request_hash %q, want %q (the caller's value is ignored)", got.Request.RequestHash, want)
	}
	// A stored submission re-hashes to its own request_hash.
	if again, _ := evaluationrun.RequestHash(got.Request); again != want {
		t.Fatalf("stored request re-hashes to %q, want %q", again, want)
	}
}

func TestDefaultsAreRecorded(t *testing.T) {
	req := request()
	req.Stage, req.RiskTier = "", "  "
	n := evaluationrun.Normalize(req)
	if n.Stage != evaluationrun.DefaultStage || n.RiskTier != evaluationrun.DefaultRiskTier {
		t.Fatalf("Normalize = stage %q tier %q", n.Stage, n.RiskTier)
	}
}

func TestRequestHash(t *testing.T) {
	base, err := evaluationrun.RequestHash(request())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "sha256:") || len(base) != 71 {
		t.Fatalf("RequestHash = %q", base)
	}
	same := request()
	same.SubmittedBy, same.RequestHash = "bob", "x"
	if h, _ := evaluationrun.RequestHash(same); h != base {
		t.Fatal("submitted_by or request_hash changed the hash")
	}
	for name, edit := range map[string]func(r *events.EvaluationRunSubmitted){
		"stage": func(r *events.EvaluationRunSubmitted) { r.Stage = "live" },
		"metric value": func(r *events.EvaluationRunSubmitted) {
			r.Metrics = json.RawMessage(`{"returns":{"sharpe":1.3,"max_drawdown":0.1}}`)
		},
		"number spelled": func(r *events.EvaluationRunSubmitted) {
			r.Metrics = json.RawMessage(`{"returns":{"sharpe":1.20,"max_drawdown":0.1}}`)
		},
		"returns":        func(r *events.EvaluationRunSubmitted) { r.Returns = r.Returns[:2] },
		"policy version": func(r *events.EvaluationRunSubmitted) { r.PolicyVersion = 2 },
		"model card":     func(r *events.EvaluationRunSubmitted) { r.ModelCardVersion = "v2" },
		"run id":         func(r *events.EvaluationRunSubmitted) { r.RunID = "run-2" },
	} {
		r := request()
		edit(&r)
		if h, err := evaluationrun.RequestHash(r); err != nil || h == base {
			t.Errorf("changing the %s left the hash unchanged (%v)", name, err)
		}
	}
	bad := request()
	bad.Metrics = json.RawMessage(`{"a":`)
	if _, err := evaluationrun.RequestHash(bad); err == nil {
		t.Fatal("RequestHash accepted invalid metrics JSON")
	}
}

func TestComplete(t *testing.T) {
	reg := events.Catalogue()
	var empty evaluationrun.Run
	first := must(t)(empty.Submit(reg, submitCmd("sub-1", request())))
	evaluating := func() *evaluationrun.Run { return given(t, reg, first) }
	evaluated := func() *evaluationrun.Run {
		return given(t, reg, first, must(t)(evaluating().Complete(reg, completeCmd("done-1", "sample"))))
	}
	withMetrics := func(m string) evaluationrun.Complete {
		c := completeCmd("done-1")
		c.Metrics.Metrics = json.RawMessage(m)
		return c
	}
	noStatus := completeCmd("done-1")
	noStatus.Verdict.Status = ""

	cases := []struct {
		name     string
		state    func() *evaluationrun.Run
		cmd      evaluationrun.Complete
		wantCode errcode.Code
		wantN    int
	}{
		{"five rules", evaluating, completeCmd("done-1", "data_currency", "sample", "performance", "risk_constraint", "robustness"), "", 7},
		{"no rules", evaluating, completeCmd("done-1"), "", 2},
		{"unknown run", func() *evaluationrun.Run { return &evaluationrun.Run{} }, completeCmd("done-1", "sample"), errcode.RunNotFound, 0},
		{"again with the same key", evaluated, completeCmd("done-1", "sample"), "", 0},
		{"again with another key", evaluated, completeCmd("done-2", "sample"), errcode.RunAlreadyEvaluated, 0},
		{"again without a key", evaluated, completeCmd("", "sample"), errcode.RunAlreadyEvaluated, 0},
		{"no key", evaluating, completeCmd("", "sample"), errcode.Validation, 0},
		{"duplicate rule", evaluating, completeCmd("done-1", "sample", "sample"), errcode.Validation, 0},
		{"unnamed rule", evaluating, completeCmd("done-1", ""), errcode.Validation, 0},
		{"metrics not an object", evaluating, withMetrics(`[1]`), errcode.Validation, 0},
		{"metrics missing", evaluating, withMetrics(``), errcode.Validation, 0},
		{"no summary status", evaluating, noStatus, errcode.Validation, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := tc.state().Complete(reg, tc.cmd)
			if got := errcode.CodeOf(err); got != tc.wantCode {
				t.Fatalf("Complete error = %v (code %q), want %q", err, got, tc.wantCode)
			}
			if len(evs) != tc.wantN {
				t.Fatalf("Complete returned %d events, want %d", len(evs), tc.wantN)
			}
		})
	}
}

func TestCompletionEvents(t *testing.T) {
	reg := events.Catalogue()
	var empty evaluationrun.Run
	first := must(t)(empty.Submit(reg, submitCmd("sub-1", request())))
	rules := []string{"data_currency", "sample", "performance", "risk_constraint", "robustness"}
	done := must(t)(given(t, reg, first).Complete(reg, completeCmd("done-1", rules...)))

	wantTypes := []string{events.TypeMetricsComputed}
	for range rules {
		wantTypes = append(wantTypes, events.TypeRuleEvaluated)
	}
	wantTypes = append(wantTypes, events.TypeEvaluationCompleted)
	for i, ev := range done {
		if ev.Type != wantTypes[i] || ev.ID != events.IDFromKeyN("done-1", i) || ev.IdempotencyKey != "done-1" {
			t.Fatalf("event %d: type %s id %s key %s", i, ev.Type, ev.ID, ev.IdempotencyKey)
		}
		if err := reg.Check(&ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}

	run := given(t, reg, first, done)
	if run.Status != evaluationrun.StatusEvaluated || run.CompletionKey != "done-1" || !run.EvaluatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("state %+v", run)
	}
	if len(run.Rules) != len(rules) || run.Rules[4].Rule != "robustness" || string(run.Metrics) != `{"returns":{"sharpe":1.2}}` {
		t.Fatalf("results %+v metrics %s", run.Rules, run.Metrics)
	}
	if run.Verdict.Status != "pass" || run.Version != uint64(len(done)+1) {
		t.Fatalf("verdict %+v version %d", run.Verdict, run.Version)
	}
}

func TestApplyFoldsLaterEventsAndRefusesContradictions(t *testing.T) {
	reg := events.Catalogue()
	var empty evaluationrun.Run
	first := must(t)(empty.Submit(reg, submitCmd("sub-1", request())))
	evaluating := given(t, reg, first)
	done := must(t)(evaluating.Complete(reg, completeCmd("done-1", "sample")))
	newEv := func(key string, p any) events.Event {
		ev, err := reg.New(p, events.Meta{IdempotencyKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	later := []events.Event{
		newEv("ext", events.ExtendedValidationCompleted{ExtendedRevision: 2, Results: json.RawMessage(`{}`)}),
		newEv("ovr", events.OverrideRecorded{Status: "approved", Revision: 3}),
		newEv("xpf", events.ExPostFailureRecorded{Status: "open"}),
		newEv("xpf2", events.ExPostFailureRecorded{Status: "open"}),
	}
	run := given(t, reg, first, done, later)
	if run.ExtendedRevision != 2 || run.Override == nil || run.Override.Status != "approved" || run.ExPostFailures != 2 || run.Status != evaluationrun.StatusEvaluated {
		t.Fatalf("later events folded to %+v", run)
	}

	contradictions := map[string][]events.Event{
		"results before the submission":  done,
		"override before the submission": later[1:2],
		"second submission":              append(append([]events.Event{}, first...), first...),
		"results after the verdict":      append(append(append([]events.Event{}, first...), done...), done[1]),
	}
	for name, evs := range contradictions {
		if _, err := aggregates.Fold[evaluationrun.Run](reg, records(evs)); err == nil {
			t.Errorf("%s: fold accepted the history", name)
		}
	}

	// An event type the aggregate does not know is skipped.
	var r evaluationrun.Run
	if err := r.Apply(&events.Record{StreamVersion: 1}, &events.DefaultPolicySet{}); err != nil || r.Exists() || r.Version != 1 {
		t.Fatalf("unknown payload: %v, %+v", err, r)
	}
}

func TestErrorsCarryRunDetails(t *testing.T) {
	reg := events.Catalogue()
	var empty evaluationrun.Run
	run := given(t, reg, must(t)(empty.Submit(reg, submitCmd("sub-1", request()))))
	other := request()
	other.Stage = "live"
	_, err := run.Submit(reg, submitCmd("sub-2", other))
	e, ok := errcode.From(err)
	if !ok || e.Details["run_id"] != "run-1" || e.Details["status"] != "evaluating" || e.HTTPStatus() != 409 {
		t.Fatalf("error %v details %+v", err, e)
	}
	if !errors.Is(err, &errcode.Error{Code: errcode.RunAlreadySubmitted}) {
		t.Fatal("errors.Is does not match by code")
	}
}
