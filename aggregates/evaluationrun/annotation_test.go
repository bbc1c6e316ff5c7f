package evaluationrun_test

import (
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
)

// evaluatedRun returns the events of a submitted and evaluated run at the
// given stage, and the run folded from them.
func evaluatedRun(t *testing.T, reg *events.Registry, stage string) ([]events.Event, *evaluationrun.Run) {
	t.Helper()
	req := request()
	req.Stage = stage
	var empty evaluationrun.Run
	sub := must(t)(empty.Submit(reg, submitCmd("sub-1", req)))
	done := must(t)(given(t, reg, sub).Complete(reg, completeCmd("done-1", "sample")))
	all := append(sub, done...)
	return all, given(t, reg, all)
}

func overrideCmd(key, status, reason, actor, ts string) evaluationrun.RecordOverride {
	return evaluationrun.RecordOverride{
		Meta:   events.Meta{IdempotencyKey: key, OccurredAt: t0.Add(time.Hour), Actor: "principal"},
		Status: status, Reason: reason, Actor: actor, Timestamp: ts,
	}
}

func TestRecordOverride(t *testing.T) {
	reg := events.Catalogue()
	history, evaluated := evaluatedRun(t, reg, "paper")
	approve := overrideCmd("o-1", "approved", "desk needs it", "alice", "2026-02-01T00:00:00Z")
	approvedHistory := append(append([]events.Event{}, history...), must(t)(evaluated.RecordOverride(reg, approve))...)
	approved := func() *evaluationrun.Run { return given(t, reg, approvedHistory) }
	var empty evaluationrun.Run
	evaluating := func() *evaluationrun.Run {
		return given(t, reg, must(t)(empty.Submit(reg, submitCmd("sub-1", request()))))
	}

	cases := []struct {
		name     string
		state    func() *evaluationrun.Run
		cmd      evaluationrun.RecordOverride
		wantCode errcode.Code
		wantN    int
	}{
		{"approval", func() *evaluationrun.Run { return evaluated }, approve, "", 1},
		{"rejection needs nothing", func() *evaluationrun.Run { return evaluated }, overrideCmd("o-2", "rejected", "", "", ""), "", 1},
		{"none needs nothing", func() *evaluationrun.Run { return evaluated }, overrideCmd("o-2", "none", "", "", ""), "", 1},
		{"same status is a no-op", approved, overrideCmd("o-2", "approved", "other reason", "bob", "2026-03-01T00:00:00Z"), "", 0},
		{"another status is a change", approved, overrideCmd("o-2", "rejected", "", "", ""), "", 1},
		{"retried command", approved, approve, "", 0},
		{"approval without reason", func() *evaluationrun.Run { return evaluated }, overrideCmd("o-2", "approved", " ", "alice", "2026-02-01T00:00:00Z"), errcode.Validation, 0},
		{"approval without actor and timestamp", func() *evaluationrun.Run { return evaluated }, overrideCmd("o-2", "approved", "r", "", ""), errcode.Validation, 0},
		{"unknown status", func() *evaluationrun.Run { return evaluated }, overrideCmd("o-2", "Approved", "r", "a", "t"), errcode.Validation, 0},
		{"pending run", evaluating, approve, errcode.RunNotEvaluated, 0},
		{"unknown run", func() *evaluationrun.Run { return &evaluationrun.Run{} }, approve, errcode.RunNotFound, 0},
		{"no key", func() *evaluationrun.Run { return evaluated }, overrideCmd("", "approved", "r", "a", "t"), errcode.Validation, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := tc.state().RecordOverride(reg, tc.cmd)
			if got := errcode.CodeOf(err); got != tc.wantCode {
				t.Fatalf("error %v (code %q), want %q", err, got, tc.wantCode)
			}
			if len(evs) != tc.wantN {
				t.Fatalf("%d events, want %d", len(evs), tc.wantN)
			}
		})
	}

	e, _ := errcode.From(func() error {
		_, err := evaluated.RecordOverride(reg, overrideCmd("o-3", "approved", "r", "", ""))
		return err
	}())
	ps, _ := e.Details["problems"].([]evaluationrun.Problem)
	if len(ps) != 2 || ps[0].Path != "actor" || ps[1].Path != "timestamp" ||
		ps[0].Message != "approved override requires reason, actor, and timestamp (missing: actor, timestamp)" {
		t.Fatalf("problems %+v", ps)
	}
}

func TestOverrideEventAndReviewDue(t *testing.T) {
	reg := events.Catalogue()
	cases := []struct {
		stage    string
		critical bool
		ts       string
		due      string
	}{
		{"paper", false, "2026-02-01T00:00:00Z", "2026-05-02T00:00:00Z"},
		{"paper", true, "2026-02-01T00:00:00Z", "2026-03-03T00:00:00Z"},
		{"live", false, "2026-02-01T10:20:30.5+02:00", "2026-03-03T08:20:30Z"},
		{"backtest", false, "not a time", ""},
	}
	for _, tc := range cases {
		history, run := evaluatedRun(t, reg, tc.stage)
		cmd := overrideCmd("o-1", "approved", "why", "alice", tc.ts)
		cmd.HighTierCritical = tc.critical
		evs := must(t)(run.RecordOverride(reg, cmd))
		if evs[0].Actor != "principal" || evs[0].ID != events.IDFromKey("o-1") {
			t.Fatalf("envelope %+v", evs[0])
		}
		p, err := events.DecodeAs[events.OverrideRecorded](reg, &evs[0])
		if err != nil {
			t.Fatal(err)
		}
		want := events.OverrideRecorded{Status: "approved", Reason: "why", Actor: "alice", Timestamp: tc.ts, ReviewDue: tc.due, Revision: 3}
		if *p != want {
			t.Fatalf("%s critical=%v: payload %+v, want %+v", tc.stage, tc.critical, *p, want)
		}
		after := given(t, reg, append(history, evs...))
		if after.Revisions != 3 || after.Override == nil || after.Override.Status != "approved" {
			t.Fatalf("folded %+v", after)
		}
	}
}

func exPostCmd(key string, f events.ExPostFailureRecorded) evaluationrun.RecordExPostFailure {
	return evaluationrun.RecordExPostFailure{Meta: events.Meta{IdempotencyKey: key, OccurredAt: t0.Add(2 * time.Hour), Actor: "principal"}, Failure: f}
}

func TestRecordExPostFailure(t *testing.T) {
	reg := events.Catalogue()
	history, run := evaluatedRun(t, reg, "live")
	minimal := events.ExPostFailureRecorded{Category: "risk_breach", ReasonCode: "live_dd_breach", Actor: "alice"}
	evs := must(t)(run.RecordExPostFailure(reg, exPostCmd("x-1", minimal)))
	p, err := events.DecodeAs[events.ExPostFailureRecorded](reg, &evs[0])
	if err != nil {
		t.Fatal(err)
	}
	want := minimal
	want.CaseID, want.Status, want.Source, want.RecordedAt = events.IDFromKey("ex-post-case:x-1"), "confirmed", "manual", "2026-02-01T12:00:00Z"
	if *p != want {
		t.Fatalf("payload %+v, want %+v", *p, want)
	}
	after := given(t, reg, append(history, evs...))
	if after.ExPostFailures != 1 || after.Revisions != 3 {
		t.Fatalf("folded %+v", after)
	}
	if again := must(t)(after.RecordExPostFailure(reg, exPostCmd("x-1", minimal))); len(again) != 0 {
		t.Fatal("a retried ex-post failure appended again")
	}

	bad := []struct {
		name  string
		f     events.ExPostFailureRecorded
		paths []string
	}{
		{"nothing", events.ExPostFailureRecorded{}, []string{"category", "reason_code", "actor"}},
		{"bad enums", events.ExPostFailureRecorded{Category: "c", ReasonCode: "r", Actor: "a", Status: "open", Source: "robot", Severity: "huge"}, []string{"status", "source", "severity"}},
	}
	for _, tc := range bad {
		_, err := run.RecordExPostFailure(reg, exPostCmd("x-2", tc.f))
		e, ok := errcode.From(err)
		if !ok || e.Code != errcode.Validation {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ps, _ := e.Details["problems"].([]evaluationrun.Problem)
		var paths []string
		for _, p := range ps {
			paths = append(paths, p.Path)
		}
		if len(paths) != len(tc.paths) {
			t.Fatalf("%s: problems %v, want %v", tc.name, paths, tc.paths)
		}
		for i := range paths {
			if paths[i] != tc.paths[i] {
				t.Fatalf("%s: problems %v, want %v", tc.name, paths, tc.paths)
			}
		}
	}
	var empty evaluationrun.Run
	pending := given(t, reg, must(t)(empty.Submit(reg, submitCmd("sub-1", request()))))
	if _, err := pending.RecordExPostFailure(reg, exPostCmd("x-3", minimal)); errcode.CodeOf(err) != errcode.RunNotEvaluated {
		t.Fatalf("pending run: %v", err)
	}
	if _, err := empty.RecordExPostFailure(reg, exPostCmd("x-3", minimal)); errcode.CodeOf(err) != errcode.RunNotFound {
		t.Fatalf("unknown run: %v", err)
	}
}
