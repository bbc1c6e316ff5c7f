package processor

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// sameJSONBody fails the test unless body and want are the same JSON value.
func sameJSONBody(t *testing.T, what string, body []byte, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: %v: %s", what, err, body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("%s: bad expectation: %v", what, err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(exp)
	if !bytes.Equal(g, w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// TestInvariantReport drives every list of the report of validation-core
// §10.7 through the API: Invariant 1 with the CD10 ordering (a later
// timestamp beats a later submission; equal timestamps go to the later
// submission), the policy-version half of Invariant 1 after a new default,
// Invariant 2 from the world settings, Invariant 3 with the review window
// of the world's tier, and a validation-health gap.
func TestInvariantReport(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := &testClock{now: t0}
	h := startAPIWithEvaluator(t, withClock(clock))
	h.putPolicy("w1", "application/yaml", testPolicyYAML)
	at := func(d time.Duration) { clock.Set(t0.Add(d)) }

	// s1: the failing run is created later but submitted first.
	at(10 * time.Second)
	h.evaluatedRun("w1", "s1", "a-fail", "live", failingMetrics())
	at(0)
	h.evaluatedRun("w1", "s1", "b-pass", "live", passingMetrics())
	// s2: equal timestamps, the later submission (passing) wins.
	at(20 * time.Second)
	h.evaluatedRun("w1", "s2", "c-fail", "live", failingMetrics())
	h.evaluatedRun("w1", "s2", "d-pass", "live", passingMetrics())
	// s3: an approved override on a paper run.
	self := h.evaluatedRun("w1", "s3", "e-paper", "paper", passingMetrics())
	if r := h.override(self, map[string]any{"status": "approved", "reason": "desk", "actor": "alice", "timestamp": "2026-01-05T00:00:00Z"}); r.status != http.StatusOK {
		t.Fatalf("override: %d %s", r.status, r.body)
	}

	get := func(path string) apiResponse {
		t.Helper()
		resp := h.do(http.MethodGet, path, apiReaderToken, nil)
		if resp.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.status, resp.body)
		}
		return resp
	}
	approved := `{"world_id":"w1","strategy_id":"s3","run_id":"e-paper","stage":"paper","override_reason":"desk","override_actor":"alice",
		"override_timestamp":"2026-01-05T00:00:00Z","review_window_days":%d,"review_due_at":%q,"review_overdue":%v,"missing_fields":[]}`
	sameJSONBody(t, "report before the new default", get("/worlds/w1/validations/invariants").body, `{"ok":false,
		"live_status_failures":[{"world_id":"w1","strategy_id":"s1","run_id":"a-fail","status":"fail"}],
		"live_policy_version_mismatches":[],"fail_closed_violations":[],
		"approved_overrides":[`+sprintf(approved, 90, "2026-04-05T00:00:00Z", false)+`],
		"validation_health_gaps":[]}`)

	// A new default policy makes the latest live runs stale; the world
	// becomes high-tier critical without a validation block.
	if r := h.putPolicy("w1", "application/yaml", testPolicyJSON); r.status != http.StatusCreated {
		t.Fatalf("publish v2: %d %s", r.status, r.body)
	}
	h.do(http.MethodPost, "/worlds/w1/policies/default", apiRiskToken, map[string]any{"version": 2})
	h.putSettings("w1", criticalSettings(false))
	sameJSONBody(t, "report after", get("/worlds/w1/validations/invariants").body, `{"ok":false,
		"live_status_failures":[{"world_id":"w1","strategy_id":"s1","run_id":"a-fail","status":"fail"}],
		"live_policy_version_mismatches":[
			{"world_id":"w1","strategy_id":"s1","run_id":"a-fail","policy_version":"1","required_policy_version":2},
			{"world_id":"w1","strategy_id":"s2","run_id":"d-pass","policy_version":"1","required_policy_version":2}],
		"fail_closed_violations":[{"world_id":"w1","on_error":"<unset>","on_missing_metric":"<unset>"}],
		"approved_overrides":[`+sprintf(approved, 30, "2026-02-04T00:00:00Z", true)+`],
		"validation_health_gaps":[]}`)

	// ?strategy_id= restricts the runs; the world-level check stays.
	sameJSONBody(t, "report of s2", get("/worlds/w1/validations/invariants?strategy_id=s2").body, `{"ok":false,
		"live_status_failures":[],
		"live_policy_version_mismatches":[{"world_id":"w1","strategy_id":"s2","run_id":"d-pass","policy_version":"1","required_policy_version":2}],
		"fail_closed_violations":[{"world_id":"w1","on_error":"<unset>","on_missing_metric":"<unset>"}],
		"approved_overrides":[],"validation_health_gaps":[]}`)

	// A run evaluated without any policy records one validation error but
	// no result carries it: a validation-health gap (§10.6).
	h.evaluatedRun("nopolicy", "s1", "r1", "backtest", passingMetrics())
	sameJSONBody(t, "report of a world without policy", get("/worlds/nopolicy/validations/invariants").body, `{"ok":false,
		"live_status_failures":[],"live_policy_version_mismatches":[],"fail_closed_violations":[],"approved_overrides":[],
		"validation_health_gaps":[{"world_id":"nopolicy","strategy_id":"s1","run_id":"r1","metric":"validation_error_count","expected":0,"recorded":1}]}`)

	sameJSONBody(t, "unknown world", get("/worlds/nowhere/validations/invariants").body, `{"ok":true,
		"live_status_failures":[],"live_policy_version_mismatches":[],"fail_closed_violations":[],"approved_overrides":[],"validation_health_gaps":[]}`)

	var overview struct {
		OK                bool `json:"ok"`
		WorldsScanned     int  `json:"worlds_scanned"`
		ApprovedOverrides int  `json:"approved_overrides"`
		OverdueOverrides  int  `json:"overdue_overrides"`
		Worlds            []struct {
			WorldID string `json:"world_id"`
			OK      bool   `json:"ok"`
		} `json:"worlds"`
	}
	get("/validations/invariants").json(t, &overview)
	if overview.OK || overview.WorldsScanned != 2 || overview.ApprovedOverrides != 1 || overview.OverdueOverrides != 1 ||
		overview.Worlds[0].WorldID != "nopolicy" || overview.Worlds[1].WorldID != "w1" || overview.Worlds[0].OK {
		t.Fatalf("overview %+v", overview)
	}

	h.do(http.MethodGet, "/worlds/w1/validations/invariants?strategy=s1", apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
	h.do(http.MethodGet, "/worlds/w1/validations/invariants", apiNoToken, nil).errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
}

// TestInvariantReportLeavesPendingRunsOut checks that a run still
// evaluating is not reported: it has no verdict or validation health yet.
func TestInvariantReportLeavesPendingRunsOut(t *testing.T) {
	t.Parallel()
	h := startAPI(t) // no evaluator
	body := validSubmission("s1")
	body["stage"] = "live"
	h.mustSubmit("w1", body, http.StatusAccepted)
	sameJSONBody(t, "report", h.do(http.MethodGet, "/worlds/w1/validations/invariants", apiReaderToken, nil).body, `{"ok":true,
		"live_status_failures":[],"live_policy_version_mismatches":[],"fail_closed_violations":[],"approved_overrides":[],"validation_health_gaps":[]}`)
}
