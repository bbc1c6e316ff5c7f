package processor

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/internal/badstrategies"
)

// reportRun stores the tail-risk strategy of the regression set in a
// service: its model card, the run evaluated under the regression policy,
// an approved override and an ex-post failure. It returns the run's self
// link and the time between the verdict and the override.
func reportRun(t *testing.T, h *apiHarness) (string, time.Time) {
	t.Helper()
	policy, err := os.ReadFile("../testdata/bad-strategies/policy.yml")
	if err != nil {
		t.Fatal(err)
	}
	if resp := h.putPolicy("w1", "application/yaml", string(policy)); resp.status != http.StatusCreated {
		t.Fatalf("policy: %d %s", resp.status, resp.body)
	}
	var tail badstrategies.Case
	for _, c := range badstrategies.Cases() {
		if c.Name == "tail-risk" {
			tail = c
		}
	}
	card := map[string]any{"strategy_id": tail.StrategyID, "model_card_version": "2", "objective": "Harvest the variance risk premium.",
		"data_overview": "index option quotes", "key_assumptions": []string{"implied volatility exceeds realized"},
		"key_limitations": []string{"short gamma: crashes hurt"}}
	if resp := h.do(http.MethodPut, "/strategies/"+tail.StrategyID+"/model-cards", apiRunnerToken, card); resp.status != http.StatusCreated {
		t.Fatalf("model card: %d %s", resp.status, resp.body)
	}
	m, err := tail.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	s := h.mustSubmit("w1", map[string]any{"strategy_id": tail.StrategyID, "run_id": "bt-1", "stage": "backtest", "returns": tail.Returns(), "metrics": m}, http.StatusAccepted)
	self := s.Links["self"]
	waitEvaluated(t, h, self)
	between := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	if resp := h.do(http.MethodPost, self+"/override", apiValidatorToken, map[string]any{"status": "approved", "reason": "hedged with puts <b>",
		"actor": "risk-lead", "timestamp": "2026-11-21T10:00:00Z"}); resp.status != http.StatusOK {
		t.Fatalf("override: %d %s", resp.status, resp.body)
	}
	if resp := h.do(http.MethodPost, self+"/ex-post-failures", apiValidatorToken, map[string]any{"category": "risk_breach",
		"reason_code": "tail_loss_realized", "actor": "ops", "severity": "high"}); resp.status/100 != 2 {
		t.Fatalf("ex-post failure: %d %s", resp.status, resp.body)
	}
	return self, between
}

// TestRunReport reads the report of a run with a full history in both
// formats and checks it against that history.
func TestRunReport(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	self, between := reportRun(t, h)
	var run struct {
		Validation struct {
			RulesetHash string `json:"ruleset_hash"`
		} `json:"validation"`
		ModelCardVersion string `json:"model_card_version"`
	}
	h.do(http.MethodGet, self, apiReaderToken, nil).json(t, &run)

	resp := h.do(http.MethodGet, self+"/report?format=html", apiReaderToken, nil)
	page := string(resp.body)
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.header.Get("Content-Disposition") != `inline; filename="validation-report-short-vol-bt-1.html"` {
		t.Fatalf("html: %d %v", resp.status, resp.header)
	}
	for _, want := range []string{
		"<title>Validation Report — short-vol @ w1</title>", `id="verdict">FAIL</div>`, run.Validation.RulesetHash,
		"Harvest the variance risk premium.", "short gamma: crashes hurt", // the model card the run recorded
		`data-rule="performance"`, "<code>es_p01</code> = 0.0515539", // the deciding violation
		"hedged with puts &lt;b&gt;", "Review due", "tail_loss_realized", // override and ex-post failure
		"override approved by risk-lead", "evaluated: FAIL under policy version 1",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("html report lacks %q", want)
		}
	}
	if n := strings.Count(page, `<svg class="chart"`); n != 3 || run.ModelCardVersion != "2" {
		t.Errorf("%d charts (want 3 from the submitted returns), model card %q", n, run.ModelCardVersion)
	}

	resp = h.do(http.MethodGet, self+"/report", apiReaderToken, nil)
	md := string(resp.body)
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "text/markdown; charset=utf-8" ||
		!strings.HasPrefix(md, "# Validation Report — short-vol @ w1\n\n## 0. Summary\n\n**FAIL**") ||
		!strings.Contains(md, "| Policy version | 1 |") || !strings.Contains(md, "| tail_loss | `es_p01` | — | 0.05 | 0.0515539 | **breached** |") {
		t.Fatalf("markdown: %d %v\n%s", resp.status, resp.header, md)
	}

	// As of the instant between the verdict and the override, the report
	// knows no override and no failure.
	resp = h.do(http.MethodGet, self+"/report?as_of="+url.QueryEscape(between.Format(time.RFC3339Nano)), apiReaderToken, nil)
	md = string(resp.body)
	if resp.status != http.StatusOK || !strings.Contains(md, "No override was recorded.") || !strings.Contains(md, "No ex-post failure was recorded.") ||
		strings.Contains(md, "risk-lead") {
		t.Fatalf("as of %s: %d\n%s", between, resp.status, md)
	}
}

func TestRunReportErrors(t *testing.T) {
	t.Parallel()
	h := startAPI(t) // no evaluator: runs stay evaluating
	s := h.mustSubmit("w1", map[string]any{"strategy_id": "s1", "run_id": "r1", "metrics": passingMetrics()}, http.StatusAccepted)
	self := s.Links["self"]
	h.do(http.MethodGet, self+"/report", apiReaderToken, nil).errorBody(t, http.StatusConflict, "E_RUN_NOT_EVALUATED")
	h.do(http.MethodGet, "/worlds/w1/strategies/s1/runs/nope/report", apiReaderToken, nil).errorBody(t, http.StatusNotFound, "E_RUN_NOT_FOUND")
	e := h.do(http.MethodGet, self+"/report?format=pdf", apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
	if e.Error.Details["parameter"] != "format" {
		t.Errorf("details %v", e.Error.Details)
	}
	h.do(http.MethodGet, self+"/report?fmt=md", apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
	h.do(http.MethodGet, self+"/report", apiNoToken, nil).errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
}

// TestRunReportModelCardAsOf: a run that names no model card shows the
// strategy's latest card; as of a moment before that card was published,
// the report knows no card.
func TestRunReportModelCardAsOf(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	policy, err := os.ReadFile("../testdata/bad-strategies/policy.yml")
	if err != nil {
		t.Fatal(err)
	}
	if resp := h.putPolicy("w1", "application/yaml", string(policy)); resp.status != http.StatusCreated {
		t.Fatalf("policy: %d %s", resp.status, resp.body)
	}
	c := badstrategies.Cases()[0]
	m, err := c.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	s := h.mustSubmit("w1", map[string]any{"strategy_id": c.StrategyID, "run_id": "r1", "stage": "backtest", "returns": c.Returns(), "metrics": m}, http.StatusAccepted)
	self := s.Links["self"]
	waitEvaluated(t, h, self)
	before := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	card := map[string]any{"strategy_id": c.StrategyID, "model_card_version": "1", "objective": "A card published after the verdict.",
		"data_overview": "daily closes", "key_assumptions": []string{"none"}, "key_limitations": []string{"none"}}
	if resp := h.do(http.MethodPut, "/strategies/"+c.StrategyID+"/model-cards", apiRunnerToken, card); resp.status != http.StatusCreated {
		t.Fatalf("model card: %d %s", resp.status, resp.body)
	}

	now := string(h.do(http.MethodGet, self+"/report", apiReaderToken, nil).body)
	if !strings.Contains(now, "A card published after the verdict.") {
		t.Fatalf("the report now lacks the strategy's latest card:\n%s", now)
	}
	resp := h.do(http.MethodGet, self+"/report?as_of="+url.QueryEscape(before.Format(time.RFC3339Nano)), apiReaderToken, nil)
	then := string(resp.body)
	if resp.status != http.StatusOK || strings.Contains(then, "A card published after the verdict.") || !strings.Contains(then, "No model card is known for this strategy.") {
		t.Fatalf("as of %s (before the card): %d\n%s", before, resp.status, then)
	}
}
