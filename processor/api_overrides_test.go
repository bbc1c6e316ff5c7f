package processor

import (
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
)

// runBody is the part of a run answer the override tests read.
type runBody struct {
	Status    string `json:"status"`
	UpdatedAt string `json:"updated_at"`
	Revision  int    `json:"revision"`
	Summary   struct {
		Status            string           `json:"status"`
		OverrideStatus    string           `json:"override_status"`
		OverrideReason    *string          `json:"override_reason"`
		OverrideActor     *string          `json:"override_actor"`
		OverrideTimestamp string           `json:"override_timestamp"`
		ExPostFailures    []map[string]any `json:"ex_post_failures"`
	} `json:"summary"`
	Links map[string]string `json:"links"`
}

func (h *apiHarness) override(self string, body any, headers ...string) apiResponse {
	h.t.Helper()
	return h.do(http.MethodPost, self+"/override", apiValidatorToken, body, headers...)
}

func TestOverrideLifecycle(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	h.putPolicy("w1", "application/yaml", testPolicyYAML)
	self := h.evaluatedRun("w1", "s1", "r1", "paper", failingMetrics())
	stream, _ := events.RunStream("w1", "s1", "r1")

	resp := h.override(self, map[string]any{"status": "approved", "reason": "desk head accepts it", "actor": "alice", "timestamp": "2026-01-10T08:00:00Z"})
	var run runBody
	resp.json(t, &run)
	if resp.status != http.StatusOK || run.Summary.OverrideStatus != "approved" || *run.Summary.OverrideReason != "desk head accepts it" ||
		*run.Summary.OverrideActor != "alice" || run.Summary.OverrideTimestamp != "2026-01-10T08:00:00Z" || run.Revision != 3 {
		t.Fatalf("approve: %d %s", resp.status, resp.body)
	}
	if run.Summary.Status != "fail" || run.UpdatedAt != "2026-01-10T08:00:00Z" || run.Links["self"] != self {
		t.Fatalf("an approval changed the verdict or updated_at: %s", resp.body)
	}
	ev := h.lastEvent(stream)
	p, err := events.DecodeAs[events.OverrideRecorded](events.Catalogue(), &ev.Event)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Actor != "validator" || p.ReviewDue != "2026-04-10T08:00:00Z" || p.Actor != "alice" || p.Revision != 3 {
		t.Fatalf("event actor %q payload %+v (paper run, ordinary world: 90 days)", ev.Actor, p)
	}

	// The same status again is a no-op, whatever the reason.
	before := h.head()
	again := h.override(self, map[string]any{"status": "approved", "reason": "another", "actor": "bob", "timestamp": "2026-02-01T00:00:00Z"})
	again.json(t, &run)
	if again.status != http.StatusOK || run.Revision != 3 || *run.Summary.OverrideReason != "desk head accepts it" {
		t.Fatalf("same status: %d %s", again.status, again.body)
	}
	h.unchanged(before, "a same-status override")

	// Rejection needs nothing and nulls the reason and actor.
	rej := h.override(self, map[string]any{"status": "rejected"})
	rej.json(t, &run)
	if rej.status != http.StatusOK || run.Summary.OverrideStatus != "rejected" || run.Summary.OverrideReason != nil || run.Summary.OverrideActor != nil || run.Revision != 4 || run.Summary.Status != "fail" {
		t.Fatalf("reject: %d %s", rej.status, rej.body)
	}
	var history []map[string]any
	h.do(http.MethodGet, self+"/history", apiReaderToken, nil).json(t, &history)
	if len(history) != 4 {
		t.Fatalf("history has %d revisions, want 4", len(history))
	}

	// A retried request (same Idempotency-Key) appends nothing.
	first := h.override(self, map[string]any{"status": "none"}, "Idempotency-Key", "k-1")
	before = h.head()
	retry := h.override(self, map[string]any{"status": "none"}, "Idempotency-Key", "k-1")
	if first.status != http.StatusOK || retry.status != http.StatusOK {
		t.Fatalf("none: %d, retry %d", first.status, retry.status)
	}
	h.unchanged(before, "a retried override")
}

func TestOverrideRejections(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	h.putPolicy("w1", "application/yaml", testPolicyYAML)
	self := h.evaluatedRun("w1", "s1", "r1", "paper", passingMetrics())
	cases := []struct {
		name   string
		path   string
		token  string
		body   any
		status int
		code   string
		paths  []string
	}{
		{"no reason", self, apiValidatorToken, map[string]any{"status": "approved", "actor": "a", "timestamp": "2026-01-01T00:00:00Z"}, 422, "E_VALIDATION", []string{"reason"}},
		{"no actor nor timestamp", self, apiValidatorToken, map[string]any{"status": "approved", "reason": "r"}, 422, "E_VALIDATION", []string{"actor", "timestamp"}},
		{"blank reason", self, apiValidatorToken, map[string]any{"status": "approved", "reason": "  ", "actor": "a", "timestamp": "2026-01-01T00:00:00Z"}, 422, "E_VALIDATION", []string{"reason"}},
		{"null actor", self, apiValidatorToken, map[string]any{"status": "approved", "reason": "r", "actor": nil, "timestamp": "2026-01-01T00:00:00Z"}, 422, "E_VALIDATION", []string{"actor"}},
		{"no status", self, apiValidatorToken, map[string]any{"reason": "r"}, 422, "E_VALIDATION", []string{"status"}},
		{"unknown status", self, apiValidatorToken, map[string]any{"status": "maybe"}, 422, "E_VALIDATION", []string{"status"}},
		{"status not a string", self, apiValidatorToken, map[string]any{"status": 1}, 422, "E_VALIDATION", []string{"status"}},
		{"unknown field", self, apiValidatorToken, map[string]any{"status": "none", "colour": "red"}, 422, "E_VALIDATION", []string{"colour"}},
		{"malformed JSON", self, apiValidatorToken, `{"status":`, 400, "E_BAD_REQUEST", nil},
		{"unknown run", "/worlds/w1/strategies/s1/runs/nope", apiValidatorToken, map[string]any{"status": "rejected"}, 404, "E_RUN_NOT_FOUND", nil},
		{"unknown world", "/worlds/w9/strategies/s1/runs/r1", apiValidatorToken, map[string]any{"status": "rejected"}, 404, "E_RUN_NOT_FOUND", nil},
		{"read scope only", self, apiReaderToken, map[string]any{"status": "rejected"}, 403, "E_FORBIDDEN", nil},
		{"submit scope", self, apiRunnerToken, map[string]any{"status": "rejected"}, 403, "E_FORBIDDEN", nil},
		{"no token", self, apiNoToken, map[string]any{"status": "rejected"}, 401, "E_UNAUTHORIZED", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.head()
			e := h.do(http.MethodPost, tc.path+"/override", tc.token, tc.body).errorBody(t, tc.status, tc.code)
			if tc.paths != nil && !slices.Equal(e.problemPaths(), tc.paths) {
				t.Fatalf("problems at %v, want %v: %s", e.problemPaths(), tc.paths, e.Error.Message)
			}
			h.unchanged(before, tc.name)
		})
	}
	e := h.override(self, map[string]any{"status": "approved", "reason": "r"}).errorBody(t, 422, "E_VALIDATION")
	if want := "the override is invalid: actor: approved override requires reason, actor, and timestamp (missing: actor, timestamp) (and 1 more)"; e.Error.Message != want {
		t.Fatalf("message %q, want %q", e.Error.Message, want)
	}
}

func TestOverrideOfPendingRunIsAConflict(t *testing.T) {
	t.Parallel()
	h := startAPI(t) // no evaluator: runs stay evaluating
	s := h.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted)
	before := h.head()
	e := h.override(s.Links["self"], map[string]any{"status": "approved", "reason": "r", "actor": "a", "timestamp": "2026-01-01T00:00:00Z"}).
		errorBody(t, http.StatusConflict, "E_RUN_NOT_EVALUATED")
	if e.Error.Details["run_id"] != s.RunID || e.Error.Details["status"] != "evaluating" {
		t.Fatalf("details %v", e.Error.Details)
	}
	h.do(http.MethodPost, s.Links["self"]+"/ex-post-failures", apiValidatorToken, map[string]any{"category": "c", "reason_code": "r", "actor": "a"}).
		errorBody(t, http.StatusConflict, "E_RUN_NOT_EVALUATED")
	h.unchanged(before, "annotations of a pending run")
}

// TestReviewDueDatesByTier checks the re-review window of approvals
// (validation-core §10.1): 90 days for a non-live run of an ordinary world,
// 30 for a live run, 30 for any run of a high-tier critical world; the due
// date is recorded on the event and listed by the invariant report.
func TestReviewDueDatesByTier(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	for _, w := range []string{"ordinary", "critical", "high-not-critical"} {
		h.putPolicy(w, "application/yaml", testPolicyYAML)
	}
	h.putSettings("critical", criticalSettings(true))
	h.putSettings("high-not-critical", map[string]any{"risk_profile": map[string]any{"tier": "high"}})
	const ts = "2026-01-01T12:00:00+02:00"
	cases := []struct {
		world, stage string
		window       int
		due          string
	}{
		{"ordinary", "backtest", 90, "2026-04-01T10:00:00Z"},
		{"ordinary", "paper", 90, "2026-04-01T10:00:00Z"},
		{"ordinary", "live", 30, "2026-01-31T10:00:00Z"},
		{"critical", "backtest", 30, "2026-01-31T10:00:00Z"},
		{"high-not-critical", "paper", 90, "2026-04-01T10:00:00Z"},
	}
	for i, tc := range cases {
		run := "r" + string(rune('a'+i))
		self := h.evaluatedRun(tc.world, "s1", run, tc.stage, passingMetrics())
		if resp := h.override(self, map[string]any{"status": "approved", "reason": "ok", "actor": "alice", "timestamp": ts}); resp.status != http.StatusOK {
			t.Fatalf("%s/%s: %d %s", tc.world, tc.stage, resp.status, resp.body)
		}
		stream, _ := events.RunStream(tc.world, "s1", run)
		ev := h.lastEvent(stream)
		p, _ := events.DecodeAs[events.OverrideRecorded](events.Catalogue(), &ev.Event)
		if p.ReviewDue != tc.due {
			t.Errorf("%s/%s: event review_due %q, want %q", tc.world, tc.stage, p.ReviewDue, tc.due)
		}
		var rep struct {
			ApprovedOverrides []struct {
				RunID            string  `json:"run_id"`
				ReviewWindowDays int     `json:"review_window_days"`
				ReviewDueAt      *string `json:"review_due_at"`
				OverrideTS       *string `json:"override_timestamp"`
			} `json:"approved_overrides"`
		}
		h.do(http.MethodGet, "/worlds/"+tc.world+"/validations/invariants?strategy_id=s1", apiReaderToken, nil).json(t, &rep)
		found := false
		for _, o := range rep.ApprovedOverrides {
			if o.RunID == run {
				found = true
				if o.ReviewWindowDays != tc.window || o.ReviewDueAt == nil || *o.ReviewDueAt != tc.due || *o.OverrideTS != ts {
					t.Errorf("%s/%s: report entry window %d due %v", tc.world, tc.stage, o.ReviewWindowDays, o.ReviewDueAt)
				}
			}
		}
		if !found {
			t.Errorf("%s/%s: approval not in the invariant report", tc.world, tc.stage)
		}
	}
}

func TestExPostFailures(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2026, 5, 4, 3, 2, 1, 500, time.UTC)}
	h := startAPIWithEvaluator(t, withClock(clock))
	h.putPolicy("w1", "application/yaml", testPolicyYAML)
	self := h.evaluatedRun("w1", "s1", "r1", "live", passingMetrics())
	post := func(body any, headers ...string) apiResponse {
		return h.do(http.MethodPost, self+"/ex-post-failures", apiValidatorToken, body, headers...)
	}

	resp := post(map[string]any{"status": "candidate", "category": "risk_breach", "reason_code": "live_drawdown_breach", "severity": "high", "actor": "system", "recorded_at": "2025-01-02T00:00:00Z", "source": "auto"})
	var run runBody
	resp.json(t, &run)
	if resp.status != http.StatusOK || len(run.Summary.ExPostFailures) != 1 || run.UpdatedAt != "2025-01-02T00:00:00Z" || run.Revision != 3 || run.Summary.Status != "pass" {
		t.Fatalf("candidate: %d %s", resp.status, resp.body)
	}
	caseID, _ := run.Summary.ExPostFailures[0]["case_id"].(string)
	if len(caseID) != 36 {
		t.Fatalf("generated case_id %q is not a UUID", caseID)
	}

	resp = post(map[string]any{"case_id": caseID, "category": "risk_breach", "reason_code": "live_drawdown_breach", "actor": "risk_team", "evidence_url": "https://example.com/e"})
	resp.json(t, &run)
	last := run.Summary.ExPostFailures[len(run.Summary.ExPostFailures)-1]
	want := map[string]any{"case_id": caseID, "status": "confirmed", "category": "risk_breach", "reason_code": "live_drawdown_breach",
		"evidence_url": "https://example.com/e", "actor": "risk_team", "recorded_at": "2026-05-04T03:02:01Z", "source": "manual"}
	if resp.status != http.StatusOK || len(run.Summary.ExPostFailures) != 2 || !reflect.DeepEqual(last, want) || run.UpdatedAt != "2026-05-04T03:02:01Z" {
		t.Fatalf("confirmation: %d %v\nwant %v", resp.status, last, want)
	}
	stream, _ := events.RunStream("w1", "s1", "r1")
	if ev := h.lastEvent(stream); ev.Actor != "validator" || ev.Type != events.TypeExPostFailureRecorded {
		t.Fatalf("event %s by %q", ev.Type, ev.Actor)
	}

	for _, tc := range []struct {
		name  string
		body  any
		paths []string
	}{
		{"nothing", map[string]any{}, []string{"category", "reason_code", "actor"}},
		{"blank category", map[string]any{"category": " ", "reason_code": "r", "actor": "a"}, []string{"category"}},
		{"bad enums", map[string]any{"category": "c", "reason_code": "r", "actor": "a", "status": "open", "severity": "huge", "source": "robot"}, []string{"status", "source", "severity"}},
		{"wrong type", map[string]any{"category": "c", "reason_code": "r", "actor": 7}, []string{"actor"}},
		{"unknown field", map[string]any{"category": "c", "reason_code": "r", "actor": "a", "when": "now"}, []string{"when"}},
	} {
		before := h.head()
		e := post(tc.body).errorBody(t, 422, "E_VALIDATION")
		if !slices.Equal(e.problemPaths(), tc.paths) {
			t.Errorf("%s: problems at %v, want %v", tc.name, e.problemPaths(), tc.paths)
		}
		h.unchanged(before, tc.name)
	}
	before := h.head()
	h.do(http.MethodPost, "/worlds/w1/strategies/s1/runs/nope/ex-post-failures", apiValidatorToken, map[string]any{"category": "c", "reason_code": "r", "actor": "a"}).
		errorBody(t, 404, "E_RUN_NOT_FOUND")
	h.do(http.MethodPost, self+"/ex-post-failures", apiRiskToken, map[string]any{"category": "c", "reason_code": "r", "actor": "a"}).errorBody(t, 403, "E_FORBIDDEN")
	h.unchanged(before, "rejected ex-post failures")
}
