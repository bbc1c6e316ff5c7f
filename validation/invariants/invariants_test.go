package invariants_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/worldval/worldval/validation/invariants"
	"github.com/worldval/worldval/validation/policy"
)

var now = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func str(s string) *string { return &s }
func num(n int) *int       { return &n }

// healthy is a metrics document whose recorded health matches five results
// without errors and all twelve core paths present.
func healthy() map[string]any {
	var doc map[string]any
	_ = json.Unmarshal([]byte(`{
		"returns": {"sharpe": 1, "max_drawdown": 0.1, "gain_to_pain_ratio": 2, "time_under_water_ratio": 0.2},
		"sample": {"effective_history_years": 1, "n_trades_total": 10, "n_trades_per_year": 252},
		"risk": {"adv_utilization_p95": 0.1, "participation_rate_p95": 0.1},
		"robustness": {"deflated_sharpe_ratio": 0.9, "sharpe_first_half": 1, "sharpe_second_half": 1},
		"diagnostics": {"validation_health": {"metric_coverage_ratio": 1, "rules_executed_ratio": 1, "validation_error_count": 0}}
	}`), &doc)
	return doc
}

func fiveResults() []invariants.Result {
	return []invariants.Result{{"data_currency", "data_currency_ok"}, {"sample", "sample_ok"}, {"performance", "performance_ok"}, {"risk_constraint", "risk_constraints_ok"}, {"robustness", "robustness_ok"}}
}

// run is a passing, healthy run of world w.
func run(strategy, id, stage, created string) invariants.Run {
	return invariants.Run{
		WorldID: "w", StrategyID: strategy, RunID: id, Stage: stage, CreatedAt: created, UpdatedAt: created,
		Status: "pass", PolicyVersion: str("2"), Metrics: healthy(), Results: fiveResults(),
	}
}

func TestCleanWorld(t *testing.T) {
	r := invariants.Check(invariants.World{ID: "w", DefaultPolicyVersion: num(2)}, []invariants.Run{
		run("s1", "r1", "backtest", "2026-01-01T00:00:00Z"),
		run("s1", "r2", "live", "2026-01-02T00:00:00Z"),
	}, now)
	if !r.OK {
		t.Fatalf("report %+v, want ok", r)
	}
	b, _ := json.Marshal(r)
	want := `{"ok":true,"live_status_failures":[],"live_policy_version_mismatches":[],"fail_closed_violations":[],"approved_overrides":[],"validation_health_gaps":[]}`
	if string(b) != want {
		t.Fatalf("JSON %s\nwant %s", b, want)
	}
}

func TestInvariant1LatestLiveRunMustPass(t *testing.T) {
	failing := func(strategy, id, created string) invariants.Run {
		r := run(strategy, id, "live", created)
		r.Status = "fail"
		return r
	}
	cases := []struct {
		name string
		runs []invariants.Run
		want []string // run ids reported, in order
	}{
		{"latest passes, an older one failed", []invariants.Run{failing("s1", "old", "2026-01-01T00:00:00Z"), run("s1", "new", "live", "2026-01-02T00:00:00Z")}, nil},
		{"latest fails", []invariants.Run{run("s1", "old", "live", "2026-01-01T00:00:00Z"), failing("s1", "new", "2026-01-02T00:00:00Z")}, []string{"new"}},
		{"input order does not beat a later timestamp", []invariants.Run{failing("s1", "new", "2026-01-02T00:00:00Z"), run("s1", "old", "live", "2026-01-01T00:00:00Z")}, []string{"new"}},
		{"offsets compare as instants", []invariants.Run{failing("s1", "a", "2026-01-02T01:00:00+02:00"), run("s1", "b", "live", "2026-01-01T23:30:00Z")}, nil},
		{"non-live runs are not considered", []invariants.Run{func() invariants.Run {
			r := failing("s1", "bt", "2026-01-03T00:00:00Z")
			r.Stage = "backtest"
			return r
		}(), run("s1", "live", "live", "2026-01-01T00:00:00Z")}, nil},
		{"one entry per strategy in first-seen order", []invariants.Run{
			failing("s2", "s2-a", "2026-01-01T00:00:00Z"), failing("s1", "s1-a", "2026-01-01T00:00:00Z"), failing("s2", "s2-b", "2026-01-02T00:00:00Z"),
		}, []string{"s2-b", "s1-a"}},
		{"stage compared case-insensitively", []invariants.Run{func() invariants.Run { r := failing("s1", "r", "2026-01-01T00:00:00Z"); r.Stage = "LIVE"; return r }()}, []string{"r"}},
		{"status compared case-insensitively", []invariants.Run{func() invariants.Run {
			r := run("s1", "r", "live", "2026-01-01T00:00:00Z")
			r.Status = "PASS"
			return r
		}()}, nil},
		{"an approved override does not exempt (I03)", []invariants.Run{func() invariants.Run {
			r := failing("s1", "r", "2026-01-01T00:00:00Z")
			r.OverrideStatus, r.OverrideReason, r.OverrideActor, r.OverrideTimestamp = "approved", str("x"), str("y"), str("2026-01-01T00:00:00Z")
			return r
		}()}, []string{"r"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := invariants.Check(invariants.World{ID: "w"}, tc.runs, now)
			var got []string
			for _, f := range r.LiveStatusFailures {
				got = append(got, f.RunID)
				if f.WorldID != "w" || f.Status == nil {
					t.Errorf("entry %+v", f)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("live_status_failures %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCD10Ordering checks the deviation CD10: runs without a usable
// timestamp rank below every run with one, and ties (equal timestamps, or
// two missing ones) go to the later run in input order.
func TestCD10Ordering(t *testing.T) {
	withTimes := func(id, created, updated, status string) invariants.Run {
		r := run("s1", id, "live", "")
		r.CreatedAt, r.UpdatedAt, r.Status = created, updated, status
		return r
	}
	cases := []struct {
		name   string
		runs   []invariants.Run
		latest string
	}{
		{"missing timestamp ranks lowest even when later in input", []invariants.Run{withTimes("dated", "2020-01-01T00:00:00Z", "", "fail"), withTimes("undated", "", "", "fail")}, "dated"},
		{"unparseable timestamp ranks lowest", []invariants.Run{withTimes("dated", "2020-01-01T00:00:00Z", "", "fail"), withTimes("garbage", "yesterday", "", "fail")}, "dated"},
		{"two missing: the later input wins", []invariants.Run{withTimes("first", "", "", "fail"), withTimes("second", "", "", "fail")}, "second"},
		{"equal timestamps: the later input wins", []invariants.Run{withTimes("first", "2026-01-01T00:00:00Z", "", "fail"), withTimes("second", "2026-01-01T00:00:00Z", "", "fail")}, "second"},
		{"created_at has priority over updated_at", []invariants.Run{withTimes("a", "2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z", "fail"), withTimes("b", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "fail")}, "a"},
		{"updated_at stands in for a missing created_at", []invariants.Run{withTimes("a", "2026-01-02T00:00:00Z", "", "fail"), withTimes("b", "", "2026-01-03T00:00:00Z", "fail")}, "b"},
		{"naive timestamps are UTC", []invariants.Run{withTimes("a", "2026-01-02T00:30:00+01:00", "", "fail"), withTimes("b", "2026-01-01T23:45:00", "", "fail")}, "b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := invariants.Check(invariants.World{ID: "w"}, tc.runs, now)
			if len(r.LiveStatusFailures) != 1 || r.LiveStatusFailures[0].RunID != tc.latest {
				t.Fatalf("live_status_failures %+v, want only %s", r.LiveStatusFailures, tc.latest)
			}
		})
	}
}

func TestInvariant1PolicyVersion(t *testing.T) {
	at := func(v *string) invariants.Run {
		r := run("s1", "r", "live", "2026-01-01T00:00:00Z")
		r.PolicyVersion = v
		return r
	}
	cases := []struct {
		name     string
		required *int
		version  *string
		want     bool
	}{
		{"current", num(2), str("2"), false},
		{"newer", num(2), str("3"), false},
		{"older", num(2), str("1"), true},
		{"absent", num(2), nil, true},
		{"unparseable", num(2), str("v2"), true},
		{"world without a default policy", nil, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := invariants.Check(invariants.World{ID: "w", DefaultPolicyVersion: tc.required}, []invariants.Run{at(tc.version)}, now)
			if got := len(r.LivePolicyVersionMismatches) == 1; got != tc.want {
				t.Fatalf("mismatches %+v, want reported=%v", r.LivePolicyVersionMismatches, tc.want)
			}
			if tc.want {
				m := r.LivePolicyVersionMismatches[0]
				if m.RequiredPolicyVersion != *tc.required || !reflect.DeepEqual(m.PolicyVersion, tc.version) || r.OK {
					t.Fatalf("entry %+v ok %v", m, r.OK)
				}
			}
		})
	}
}

func TestInvariant2FailClosed(t *testing.T) {
	high := policy.RiskProfile{Tier: "HIGH", ClientCritical: true}
	cases := []struct {
		name  string
		world invariants.World
		want  *invariants.FailClosedViolation
	}{
		{"not high tier", invariants.World{ID: "w", RiskProfile: policy.RiskProfile{Tier: "medium", ClientCritical: true}}, nil},
		{"high but not critical", invariants.World{ID: "w", RiskProfile: policy.RiskProfile{Tier: "high"}}, nil},
		{"high, critical at world level, fail-closed", invariants.World{ID: "w", RiskProfile: policy.RiskProfile{Tier: "high"}, ClientCritical: true, Validation: &invariants.Modes{OnError: "fail", OnMissingMetric: "FAIL"}}, nil},
		{"no validation block", invariants.World{ID: "w", RiskProfile: high}, &invariants.FailClosedViolation{WorldID: "w", OnError: "<unset>", OnMissingMetric: "<unset>"}},
		{"warn on error", invariants.World{ID: "w", RiskProfile: high, Validation: &invariants.Modes{OnError: "Warn", OnMissingMetric: "fail"}}, &invariants.FailClosedViolation{WorldID: "w", OnError: "warn", OnMissingMetric: "fail"}},
		{"ignore missing, error unset", invariants.World{ID: "w", RiskProfile: high, Validation: &invariants.Modes{OnMissingMetric: "ignore"}}, &invariants.FailClosedViolation{WorldID: "w", OnError: "<unset>", OnMissingMetric: "ignore"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := invariants.Check(tc.world, nil, now)
			switch {
			case tc.want == nil && len(r.FailClosedViolations) != 0:
				t.Fatalf("violations %+v, want none", r.FailClosedViolations)
			case tc.want != nil && (len(r.FailClosedViolations) != 1 || r.FailClosedViolations[0] != *tc.want || r.OK):
				t.Fatalf("violations %+v ok %v, want %+v", r.FailClosedViolations, r.OK, *tc.want)
			}
		})
	}
}

func TestInvariant3ApprovedOverrides(t *testing.T) {
	approvedRun := func(id, stage string, reason, actor, ts *string) invariants.Run {
		r := run("s1", id, stage, "2026-01-01T00:00:00Z")
		r.OverrideStatus, r.OverrideReason, r.OverrideActor, r.OverrideTimestamp = "approved", reason, actor, ts
		return r
	}
	critical := invariants.World{ID: "w", RiskProfile: policy.RiskProfile{Tier: "high", ClientCritical: true}, Validation: &invariants.Modes{OnError: "fail", OnMissingMetric: "fail"}}
	cases := []struct {
		name    string
		world   invariants.World
		run     invariants.Run
		window  int
		due     *string
		overdue *bool
		missing []string
	}{
		{"paper run, medium world: 90 days", invariants.World{ID: "w"}, approvedRun("r", "paper", str("ok"), str("risk"), str("2026-01-01T00:00:00Z")), 90, str("2026-04-01T00:00:00Z"), ptr(false), []string{}},
		{"live run: 30 days, overdue", invariants.World{ID: "w"}, approvedRun("r", "live", str("ok"), str("risk"), str("2026-01-01T00:00:00Z")), 30, str("2026-01-31T00:00:00Z"), ptr(true), []string{}},
		{"backtest run, high-tier critical world: 30 days", critical, approvedRun("r", "backtest", str("ok"), str("risk"), str("2026-02-01T12:30:45.9+01:00")), 30, str("2026-03-03T11:30:45Z"), ptr(false), []string{}},
		{"unparseable timestamp", invariants.World{ID: "w"}, approvedRun("r", "paper", str("ok"), str("risk"), str("soon")), 90, nil, nil, []string{}},
		{"missing fields in order", invariants.World{ID: "w"}, approvedRun("r", "paper", nil, str(""), nil), 90, nil, nil, []string{"override_reason", "override_actor", "override_timestamp"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := invariants.Check(tc.world, []invariants.Run{tc.run}, now)
			if len(r.ApprovedOverrides) != 1 || r.OK {
				t.Fatalf("approved_overrides %+v ok %v", r.ApprovedOverrides, r.OK)
			}
			o := r.ApprovedOverrides[0]
			if o.ReviewWindowDays != tc.window || !reflect.DeepEqual(o.ReviewDueAt, tc.due) || !reflect.DeepEqual(o.ReviewOverdue, tc.overdue) || !reflect.DeepEqual(o.MissingFields, tc.missing) {
				t.Fatalf("entry window %d due %v overdue %v missing %v; want %d %v %v %v",
					o.ReviewWindowDays, deref(o.ReviewDueAt), o.ReviewOverdue, o.MissingFields, tc.window, deref(tc.due), tc.overdue, tc.missing)
			}
			if o.Stage != tc.run.Stage || o.WorldID != "w" || o.RunID != "r" {
				t.Fatalf("entry %+v", o)
			}
		})
	}
	// Rejected and none overrides are not listed.
	for _, status := range []string{"rejected", "none", ""} {
		r := approvedRun("r", "paper", str("x"), str("y"), str("2026-01-01T00:00:00Z"))
		r.OverrideStatus = status
		if rep := invariants.Check(invariants.World{ID: "w"}, []invariants.Run{r}, now); len(rep.ApprovedOverrides) != 0 || !rep.OK {
			t.Errorf("override %q listed: %+v", status, rep.ApprovedOverrides)
		}
	}
}

func TestValidationHealthGaps(t *testing.T) {
	withHealth := func(health string, results []invariants.Result) invariants.Run {
		r := run("s1", "r", "backtest", "2026-01-01T00:00:00Z")
		r.Results = results
		diag := r.Metrics["diagnostics"].(map[string]any)
		if health == "" {
			delete(diag, "validation_health")
		} else {
			var vh any
			if err := json.Unmarshal([]byte(health), &vh); err != nil {
				t.Fatal(err)
			}
			diag["validation_health"] = vh
		}
		return r
	}
	withError := append(fiveResults()[:4], invariants.Result{Name: "robustness", ReasonCode: "RULE_ERROR"})
	type gap struct {
		metric   string
		expected float64
		recorded any
	}
	cases := []struct {
		name string
		run  invariants.Run
		want []gap
	}{
		{"recorded equals expected", withHealth(`{"metric_coverage_ratio":1,"rules_executed_ratio":1,"validation_error_count":0}`, fiveResults()), nil},
		{"within tolerance", withHealth(`{"metric_coverage_ratio":0.9999995,"rules_executed_ratio":1.0000009,"validation_error_count":0}`, fiveResults()), nil},
		{"no recorded health", withHealth(``, fiveResults()), []gap{{"metric_coverage_ratio", 1, nil}, {"rules_executed_ratio", 1, nil}, {"validation_error_count", 0, nil}}},
		{"coverage off", withHealth(`{"metric_coverage_ratio":0.5,"rules_executed_ratio":1,"validation_error_count":0}`, fiveResults()), []gap{{"metric_coverage_ratio", 1, 0.5}}},
		{"fewer results than recorded", withHealth(`{"metric_coverage_ratio":1,"rules_executed_ratio":1,"validation_error_count":0}`, fiveResults()[:4]), []gap{{"rules_executed_ratio", 0.8, 1.0}}},
		{"rule error not counted", withHealth(`{"metric_coverage_ratio":1,"rules_executed_ratio":1,"validation_error_count":0}`, withError), []gap{{"validation_error_count", 1, 0.0}}},
		{"error count null is not 0", withHealth(`{"metric_coverage_ratio":1,"rules_executed_ratio":1,"validation_error_count":null}`, fiveResults()), []gap{{"validation_error_count", 0, nil}}},
		{"a string is not a number", withHealth(`{"metric_coverage_ratio":"1","rules_executed_ratio":1,"validation_error_count":0}`, fiveResults()), []gap{{"metric_coverage_ratio", 1, "1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := invariants.Check(invariants.World{ID: "w"}, []invariants.Run{tc.run}, now)
			var got []gap
			for _, g := range r.ValidationHealthGaps {
				got = append(got, gap{g.Metric, g.Expected, g.Recorded})
				if g.RunID != "r" || g.WorldID != "w" {
					t.Errorf("entry %+v", g)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("gaps %v, want %v", got, tc.want)
			}
			if r.OK != (len(tc.want) == 0) {
				t.Fatalf("ok %v", r.OK)
			}
		})
	}
}

func TestWorldIDFallsBackToTheRun(t *testing.T) {
	r := run("s1", "r", "live", "2026-01-01T00:00:00Z")
	r.Status = "warn"
	rep := invariants.Check(invariants.World{}, []invariants.Run{r}, now)
	if len(rep.LiveStatusFailures) != 1 || rep.LiveStatusFailures[0].WorldID != "w" {
		t.Fatalf("%+v", rep.LiveStatusFailures)
	}
}

func TestReviewWindow(t *testing.T) {
	for _, tc := range []struct {
		stage    string
		critical bool
		want     int
	}{{"live", false, 30}, {"Live", false, 30}, {"paper", true, 30}, {"paper", false, 90}, {"backtest", false, 90}} {
		if got := invariants.ReviewWindow(tc.stage, tc.critical); got != tc.want {
			t.Errorf("ReviewWindow(%q, %v) = %d, want %d", tc.stage, tc.critical, got, tc.want)
		}
	}
	if _, ok := invariants.ReviewDue("  ", "paper", false); ok {
		t.Error("blank timestamp has a due date")
	}
	for _, s := range []string{"2026-01-01", "2026-01-01T00:00", "2026-01-01 00:00:00", "2026-01-01T00:00:00z", "2026-01-01T01:00:00+01:00"} {
		due, ok := invariants.ReviewDue(s, "paper", false)
		if !ok || invariants.FormatTimestamp(due) != "2026-04-01T00:00:00Z" {
			t.Errorf("ReviewDue(%q) = %v, %v", s, due, ok)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
