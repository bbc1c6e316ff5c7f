package processor

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// validSubmission is a minimal valid body with a return series.
func validSubmission(strategy string) map[string]any {
	return map[string]any{
		"strategy_id": strategy,
		"stage":       "backtest",
		"returns":     []any{0.01, -0.005, nil, 0.007, 0.002},
		"params":      map[string]any{"periods_per_year": 252},
	}
}

func TestSubmitAcceptsAndReadsBack(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	body := validSubmission("s1")
	body["run_id"] = "run-1"
	body["risk_tier"] = "High"
	body["model_card_version"] = "mc-3"
	body["metrics"] = map[string]any{"returns": map[string]any{"sharpe": 0.1}, "diagnostics": map[string]any{"search_intensity": 4}}
	resp := h.submit("w1", body)
	if resp.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	var s submitted
	resp.json(t, &s)
	want := submitted{WorldID: "w1", StrategyID: "s1", RunID: "run-1", Status: "evaluating", Links: map[string]string{
		"self":    "/worlds/w1/strategies/s1/runs/run-1",
		"metrics": "/worlds/w1/strategies/s1/runs/run-1/metrics",
		"history": "/worlds/w1/strategies/s1/runs/run-1/history",
	}}
	if s.WorldID != want.WorldID || s.StrategyID != want.StrategyID || s.RunID != want.RunID || s.Status != want.Status ||
		s.Links["self"] != want.Links["self"] || s.Links["metrics"] != want.Links["metrics"] || s.Links["history"] != want.Links["history"] {
		t.Fatalf("answer %+v, want %+v", s, want)
	}
	if loc := resp.header.Get("Location"); loc != want.Links["self"] {
		t.Fatalf("Location %q", loc)
	}

	// The run is readable at once (the submit waited for the read model).
	got := h.do(http.MethodGet, s.Links["self"], apiReaderToken, nil)
	var run map[string]any
	got.json(t, &run)
	if got.status != http.StatusOK || run["status"] != "evaluating" || run["risk_tier"] != "high" ||
		run["model_card_version"] != "mc-3" || run["stage"] != "backtest" || run["revision"] != 1.0 {
		t.Fatalf("GET run: %d %s", got.status, got.body)
	}
	links, _ := run["links"].(map[string]any)
	if links["metrics"] != want.Links["metrics"] {
		t.Fatalf("run links %v", links)
	}
	h.do(http.MethodGet, s.Links["metrics"], apiReaderToken, nil).errorBody(t, http.StatusConflict, "E_RUN_NOT_EVALUATED")
	hist := h.do(http.MethodGet, s.Links["history"], apiReaderToken, nil)
	var entries []map[string]any
	hist.json(t, &entries)
	if hist.status != http.StatusOK || len(entries) != 1 || entries[0]["revision"] != 1.0 {
		t.Fatalf("history: %d %s", hist.status, hist.body)
	}
}

// TestSubmitWithEvaluatorReachesVerdict goes from a published policy to a
// recorded verdict through the real evaluator: the verdict names the
// policy version and the ruleset hash the publication reported for the
// profile it chose.
func TestSubmitWithEvaluatorReachesVerdict(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	var pub published
	h.putPolicy("w1", "application/yaml", testPolicyYAML).json(t, &pub)
	s := h.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted)
	var metrics map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp := h.do(http.MethodGet, s.Links["metrics"], apiReaderToken, nil)
		if resp.status == http.StatusOK {
			resp.json(t, &metrics)
			break
		}
		resp.errorBody(t, http.StatusConflict, "E_RUN_NOT_EVALUATED")
		if time.Now().After(deadline) {
			t.Fatal("run not evaluated after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	summary, _ := metrics["summary"].(map[string]any)
	validation, _ := metrics["validation"].(map[string]any)
	switch {
	case metrics["status"] != "evaluated" || metrics["run_id"] != s.RunID:
		t.Fatalf("metrics %v", metrics)
	case summary["status"] != "pass" && summary["status"] != "warn" && summary["status"] != "fail":
		t.Fatalf("verdict %v", summary)
	case validation["policy_version"] != "1" || validation["profile"] != "backtest":
		t.Fatalf("validation %v", validation)
	case validation["ruleset_hash"] != pub.RulesetHash["backtest"]:
		t.Fatalf("the verdict's ruleset hash %v is not the one published for profile backtest, %s", validation["ruleset_hash"], pub.RulesetHash["backtest"])
	}
	for _, key := range []string{"world_id", "strategy_id", "run_id", "status", "stage", "risk_tier", "metrics", "validation", "summary", "created_at", "updated_at", "links"} {
		if _, ok := metrics[key]; !ok {
			t.Errorf("metrics answer lacks %q (validation-core §13.2)", key)
		}
	}
	// The evaluator counts the verdict after its append returns, which may be
	// after the read model has shown it: give the counter a moment.
	lines := scrape(t, h.svc.metrics)
	for deadline := time.Now().Add(5 * time.Second); !hasPrefix(lines, "worldval_evaluation_duration_seconds_count 1") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		lines = scrape(t, h.svc.metrics)
	}
	if !hasPrefix(lines, "worldval_evaluation_duration_seconds_count 1") {
		t.Errorf("the verdict was not timed")
	}
}

func TestSubmitGeneratesRunIDs(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	clock := regexp.MustCompile(`^eval-s1-\d{8}T\d{12}Z$`)
	a := h.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted)
	b := h.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted)
	if !clock.MatchString(a.RunID) || !clock.MatchString(b.RunID) || a.RunID == b.RunID {
		t.Fatalf("clock run ids %q, %q", a.RunID, b.RunID)
	}
	keyed := regexp.MustCompile(`^eval-s1-k[0-9a-f]{24}$`)
	k1 := h.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted, "Idempotency-Key", "job-1")
	k1again := h.mustSubmit("w1", validSubmission("s1"), http.StatusOK, "Idempotency-Key", "job-1")
	other := h.mustSubmit("w2", validSubmission("s1"), http.StatusAccepted, "Idempotency-Key", "job-1")
	if !keyed.MatchString(k1.RunID) || k1again.RunID != k1.RunID || other.RunID == k1.RunID {
		t.Fatalf("keyed run ids %q, %q, other world %q", k1.RunID, k1again.RunID, other.RunID)
	}
}

func TestSubmitIsIdempotent(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	body := validSubmission("s1")
	body["idempotency_key"] = "job-7"
	first := h.mustSubmit("w1", body, http.StatusAccepted)
	waitEvaluated(t, h, first.Links["self"])
	head := h.head()

	// The same request again, with the key in the body or in the header:
	// the same run, as it is now, and nothing appended.
	again := h.mustSubmit("w1", body, http.StatusOK)
	delete(body, "idempotency_key")
	viaHeader := h.mustSubmit("w1", body, http.StatusOK, "Idempotency-Key", "job-7")
	if again.RunID != first.RunID || viaHeader.RunID != first.RunID || again.Status != "evaluated" {
		t.Fatalf("re-submissions answered %+v and %+v, want run %q evaluated", again, viaHeader, first.RunID)
	}

	// The same key with different content: the run is taken.
	changed := validSubmission("s1")
	changed["stage"] = "paper"
	h.submit("w1", changed, "Idempotency-Key", "job-7").errorBody(t, http.StatusConflict, "E_RUN_ALREADY_EVALUATED")
	if got := h.head(); got != head {
		t.Fatalf("head moved from %d to %d: a retry or a conflict appended", head, got)
	}
}

func TestSubmitConflictWhileEvaluating(t *testing.T) {
	t.Parallel()
	h := startAPI(t) // no evaluator: runs stay evaluating
	body := validSubmission("s1")
	body["run_id"] = "r1"
	h.mustSubmit("w1", body, http.StatusAccepted)
	again := h.mustSubmit("w1", body, http.StatusOK)
	if again.RunID != "r1" || again.Status != "evaluating" {
		t.Fatalf("re-submission %+v", again)
	}
	head := h.head()
	body["stage"] = "paper"
	e := h.submit("w1", body).errorBody(t, http.StatusConflict, "E_RUN_ALREADY_SUBMITTED")
	if e.Error.Details["run_id"] != "r1" || e.Error.Details["status"] != "evaluating" {
		t.Fatalf("conflict details %v", e.Error.Details)
	}
	if got := h.head(); got != head {
		t.Fatalf("a conflicting submission appended (%d → %d)", head, got)
	}
}

// waitEvaluated polls a run until it is evaluated in the run view and in
// its history (two projections, each following the store on its own).
func waitEvaluated(t *testing.T, h *apiHarness, self string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var run map[string]any
		var history []struct {
			Payload map[string]any `json:"payload"`
		}
		resp := h.do(http.MethodGet, self, apiReaderToken, nil)
		resp.json(t, &run)
		h.do(http.MethodGet, self+"/history", apiReaderToken, nil).json(t, &history)
		if run["status"] == "evaluated" && len(history) > 0 && history[len(history)-1].Payload["status"] == "evaluated" {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not evaluated after 5s: %s", self, resp.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSubmitNeedsSubmitScope(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	body := validSubmission("s1")
	resp := h.do(http.MethodPost, "/worlds/w1/evaluations", apiNoToken, body)
	resp.errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
	if !strings.HasPrefix(resp.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("401 without a Bearer challenge: %v", resp.header)
	}
	h.do(http.MethodPost, "/worlds/w1/evaluations", apiReaderToken, body).errorBody(t, http.StatusForbidden, "E_FORBIDDEN")
	h.do(http.MethodPost, "/worlds/w1/evaluations", "not-a-configured-token-at-all", body).errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
	if got := h.head(); got != 0 {
		t.Fatalf("refused requests appended %d events", got)
	}
}
