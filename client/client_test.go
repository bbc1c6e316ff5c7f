package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/worldval/worldval/client"
)

// testPolicy passes a run with a positive per-period Sharpe ratio and a
// drawdown below 25%, with some sample depth.
const testPolicy = `
validation_profiles:
  backtest:
    sample: {min_trades_total: 5}
    performance: {sharpe_min: 0.05, max_dd_max: 0.25}
  paper:
    performance: {sharpe_min: 0.5}
default_profile_by_stage: {backtest_only: backtest, paper_only: paper}
`

// goodReturns pass testPolicy.
var goodReturns = []float64{0.012, -0.004, 0.007, 0.009, -0.011, 0.006, 0.003, -0.002, 0.008, 0.004}

// publish publishes testPolicy for world as the risk principal.
func publish(t *testing.T, base, world string) *client.PublishedPolicy {
	t.Helper()
	p, err := newClient(t, base, riskToken).PublishPolicy(t.Context(), world, []byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSubmitWaitAndRead goes from a policy to a verdict and reads the run
// back every way the API offers: current, metrics, history, as of each
// revision, and listings.
func TestSubmitWaitAndRead(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	ctx := t.Context()
	if p := publish(t, base, "w1"); p.Version != 1 || p.DefaultVersion != 1 || !p.Created || p.RulesetHash["backtest"] == "" {
		t.Fatalf("published %+v", p)
	}
	runner := newClient(t, base, runnerToken)
	sub, err := runner.Submit(ctx, "w1", client.SubmitRequest{StrategyID: "mom/1", RunID: "run 1", Stage: "backtest", Returns: goodReturns})
	if err != nil {
		t.Fatal(err)
	}
	if !sub.Created || sub.RunID != "run 1" || sub.Ref() != (client.RunRef{WorldID: "w1", StrategyID: "mom/1", RunID: "run 1"}) {
		t.Fatalf("submission %+v", sub)
	}
	v, err := runner.WaitForVerdict(ctx, sub.Ref(), client.Timeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != client.StatusEvaluated || v.Summary.Status != client.VerdictPass || v.Summary.RecommendedStage != "backtest_only" ||
		v.Validation.PolicyVersion == nil || *v.Validation.PolicyVersion != "1" {
		t.Fatalf("verdict %+v", v)
	}
	var rules []string
	for _, r := range v.Validation.Results {
		rules = append(rules, r.Rule)
	}
	if want := []string{"data_currency", "sample", "performance", "risk_constraint", "robustness"}; !slices.Equal(rules, want) {
		t.Fatalf("rules %v, want %v in the service's order", rules, want)
	}
	if perf, ok := v.Validation.Results.Get("performance"); !ok || perf.ReasonCode != "performance_ok" || len(v.Validation.Results.NotPassing()) != 0 {
		t.Fatalf("performance %+v, not passing %v", perf, v.Validation.Results.NotPassing())
	}
	var metrics struct {
		Returns struct {
			Sharpe float64 `json:"sharpe"`
		} `json:"returns"`
	}
	if err := json.Unmarshal(v.Metrics, &metrics); err != nil || metrics.Returns.Sharpe <= 0 {
		t.Fatalf("metrics %s: %v", v.Metrics, err)
	}

	reader := newClient(t, base, readerToken)
	run, err := reader.Run(ctx, sub.Ref())
	if err != nil || run.Revision != 2 || run.Summary.Status != client.VerdictPass || run.Links.Self != sub.Links.Self || run.CreatedAt.IsZero() {
		t.Fatalf("run %+v, %v", run, err)
	}
	hist, err := reader.RunHistory(ctx, sub.Ref())
	if err != nil || len(hist) != 2 || hist[0].Payload.Status != client.StatusEvaluating || hist[1].Payload.Status != client.StatusEvaluated {
		t.Fatalf("history %+v, %v", hist, err)
	}
	then, err := reader.Run(ctx, sub.Ref(), client.AsOf(hist[0].RecordedAt))
	if err != nil || then.Status != client.StatusEvaluating || then.Revision != 1 {
		t.Fatalf("as of the first revision: %+v, %v", then, err)
	}
	if _, err := reader.RunMetrics(ctx, sub.Ref(), client.AsOf(hist[0].RecordedAt)); !client.HasCode(err, client.CodeRunNotEvaluated) {
		t.Fatalf("metrics as of the first revision: %v, want %s", err, client.CodeRunNotEvaluated)
	}
	if _, err := reader.Run(ctx, sub.Ref(), client.AsOf(hist[0].RecordedAt.Add(-time.Nanosecond))); !client.HasCode(err, client.CodeRunNotFound) {
		t.Fatalf("run before it was submitted: %v, want %s", err, client.CodeRunNotFound)
	}
}

// TestListRunsPages lists a world's runs page by page, with filters, and as
// of an earlier instant.
func TestListRunsPages(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	ctx := t.Context()
	publish(t, base, "w1")
	runner := newClient(t, base, runnerToken)
	var subs []*client.Submission
	for i := range 5 {
		strategy := "a"
		if i%2 == 1 {
			strategy = "b"
		}
		s, err := runner.Submit(ctx, "w1", client.SubmitRequest{StrategyID: strategy, RunID: fmt.Sprintf("r%d", i), Returns: goodReturns})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := runner.WaitForVerdict(ctx, s.Ref(), client.Timeout(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	page, err := runner.ListRuns(ctx, "w1", client.RunFilter{Limit: 2}, "")
	if err != nil || len(page.Runs) != 2 || page.NextCursor == "" || page.Runs[0].RunID != "r0" {
		t.Fatalf("first page %+v, %v", page, err)
	}
	next, err := runner.ListRuns(ctx, "w1", client.RunFilter{Limit: 2}, page.NextCursor)
	if err != nil || len(next.Runs) != 2 || next.Runs[0].RunID != "r2" {
		t.Fatalf("second page %+v, %v", next, err)
	}
	var all []string
	for r, err := range runner.Runs(ctx, "w1", client.RunFilter{Limit: 2, StrategyID: "a", Verdict: client.VerdictPass}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r.RunID)
	}
	if want := []string{"r0", "r2", "r4"}; !slices.Equal(all, want) {
		t.Fatalf("strategy a: %v, want %v", all, want)
	}
	hist, err := runner.RunHistory(ctx, subs[1].Ref())
	if err != nil {
		t.Fatal(err)
	}
	all = all[:0]
	for r, err := range runner.Runs(ctx, "w1", client.RunFilter{}, client.AsOf(hist[0].RecordedAt)) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r.RunID+":"+r.Status)
	}
	if want := []string{"r0:evaluated", "r1:evaluating"}; !slices.Equal(all, want) {
		t.Fatalf("as of r1's submission: %v, want %v", all, want)
	}
	if _, err := runner.ListRuns(ctx, "w1", client.RunFilter{Status: "nonsense"}, ""); !client.HasCode(err, client.CodeBadRequest) {
		t.Fatalf("bad status filter: %v", err)
	}
}

// TestPolicies publishes, lists, reads and switches a world's policies.
func TestPolicies(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	ctx := t.Context()
	risk := newClient(t, base, riskToken)
	if ps, err := risk.Policies(ctx, "w1"); err != nil || ps.DefaultVersion != 0 || len(ps.Versions) != 0 {
		t.Fatalf("policies of a new world: %+v, %v", ps, err)
	}
	first := publish(t, base, "w1")
	second, err := risk.PublishPolicy(ctx, "w1", []byte(`{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}}}`), client.IdempotencyKey("v2"))
	if err != nil || second.Version != 2 || second.DefaultVersion != 1 || !second.Created {
		t.Fatalf("second publication %+v, %v", second, err)
	}
	again, err := risk.PublishPolicy(ctx, "w1", []byte(`{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}}}`), client.IdempotencyKey("v2"))
	if err != nil || again.Version != 2 || again.Created {
		t.Fatalf("retried publication %+v, %v", again, err)
	}
	if _, err := risk.PublishPolicy(ctx, "w1", []byte(testPolicy), client.IdempotencyKey("v2")); !client.HasCode(err, client.CodeIdempotencyKeyReused) {
		t.Fatalf("reused key: %v", err)
	}
	d, err := risk.SetDefaultPolicy(ctx, "w1", 2)
	if err != nil || d.DefaultVersion != 2 || d.PreviousVersion != 1 {
		t.Fatalf("set default %+v, %v", d, err)
	}
	ps, err := risk.Policies(ctx, "w1")
	if err != nil || ps.DefaultVersion != 2 || len(ps.Versions) != 2 || !ps.Versions[1].Default || ps.Versions[0].PublishedBy != "risk" || ps.Versions[0].PublishedAt.IsZero() {
		t.Fatalf("policies %+v, %v", ps, err)
	}
	pv, err := risk.Policy(ctx, "w1", 1)
	if err != nil || pv.Version != 1 || pv.RulesetHash["backtest"] != first.RulesetHash["backtest"] || !json.Valid(pv.Policy) {
		t.Fatalf("policy 1: %+v, %v", pv, err)
	}
	old, err := risk.Policies(ctx, "w1", client.AsOf(ps.Versions[1].PublishedAt.Add(-time.Second)))
	if err != nil || len(old.Versions) > 1 {
		t.Fatalf("policies a second before version 2: %+v, %v", old, err)
	}
	if _, err := risk.Policy(ctx, "w1", 9); !client.HasCode(err, client.CodePolicyVersionNotFound) {
		t.Fatalf("missing version: %v", err)
	}
	if _, err := risk.SetDefaultPolicy(ctx, "w1", 9); !client.HasCode(err, client.CodePolicyVersionNotFound) {
		t.Fatalf("default to a missing version: %v", err)
	}
}

// TestErrorsAreTyped checks that refusals arrive as *APIError with the
// service's status, code, message and details.
func TestErrorsAreTyped(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	ctx := t.Context()

	_, err := newClient(t, base, riskToken).PublishPolicy(ctx, "w1", []byte("validation_profiles:\n  backtest:\n    performance: {sharpe_minimum: 1}\n"))
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Code != client.CodePolicyInvalid || ae.Message == "" {
		t.Fatalf("invalid policy: %#v", err)
	}
	if ps := ae.Problems(); len(ps) != 1 || ps[0].Path != "validation_profiles.backtest.performance.sharpe_minimum" || ps[0].Code != "E_POLICY_UNKNOWN_KEY" {
		t.Fatalf("problems %+v", ae.Problems())
	}

	runner := newClient(t, base, runnerToken)
	_, err = runner.Submit(ctx, "w1", client.SubmitRequest{StrategyID: " padded", Stage: "no stage!", Returns: goodReturns})
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Code != client.CodeValidation || len(ae.Problems()) != 2 {
		t.Fatalf("invalid submission: %v (problems %+v)", err, ae.Problems())
	}
	if _, err := runner.Submit(ctx, "w1", client.SubmitRequest{StrategyID: "s", Returns: []float64{0.1, math.NaN()}}); err == nil || errors.As(err, &ae) {
		t.Fatalf("NaN return: %v, want a client-side error", err)
	}
	if _, err := runner.Run(ctx, client.RunRef{WorldID: "w1", StrategyID: "s", RunID: "nope"}); !client.HasCode(err, client.CodeRunNotFound) {
		t.Fatalf("unknown run: %v", err)
	}
	if _, err := newClient(t, base, "").Run(ctx, client.RunRef{WorldID: "w1", StrategyID: "s", RunID: "r"}); !client.HasCode(err, client.CodeUnauthorized) {
		t.Fatalf("no token: %v", err)
	}
	if _, err := newClient(t, base, readerToken).Submit(ctx, "w1", client.SubmitRequest{StrategyID: "s", Returns: goodReturns}); !client.HasCode(err, client.CodeForbidden) {
		t.Fatalf("reader submits: %v", err)
	}
	if _, err := runner.PublishPolicy(ctx, "w1", []byte(testPolicy)); !client.HasCode(err, client.CodeForbidden) {
		t.Fatalf("runner publishes: %v", err)
	}
}

// TestIdempotentSubmit submits twice with one key: the second is answered
// with the same run and records nothing.
func TestIdempotentSubmit(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	runner := newClient(t, base, runnerToken)
	req := client.SubmitRequest{StrategyID: "s", Returns: goodReturns, IdempotencyKey: "batch-7/s"}
	first, err := runner.Submit(t.Context(), "w1", req)
	if err != nil {
		t.Fatal(err)
	}
	second, err := runner.Submit(t.Context(), "w1", req)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || second.Created || first.RunID != second.RunID {
		t.Fatalf("first %+v, second %+v", first, second)
	}
	req.Returns = []float64{0.5}
	if _, err := runner.Submit(t.Context(), "w1", req); !client.HasCode(err, client.CodeRunAlreadySubmitted) && !client.HasCode(err, client.CodeRunAlreadyEvaluated) {
		t.Fatalf("same key, other content: %v", err)
	}
}

// TestWaitForVerdictEnds waits for the verdict of a run in a world without a
// policy (it fails closed, with a note), with a context already cancelled,
// and for a run that does not exist.
func TestWaitForVerdictEnds(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	runner := newClient(t, base, runnerToken)
	sub, err := runner.Submit(t.Context(), "nopolicy", client.SubmitRequest{StrategyID: "s", RunID: "r", Returns: goodReturns})
	if err != nil {
		t.Fatal(err)
	}
	v, err := runner.WaitForVerdict(t.Context(), sub.Ref(), client.Timeout(10*time.Second))
	if err != nil || v.Summary.Status != client.VerdictFail || v.Summary.Note == "" {
		t.Fatalf("verdict without a policy: %+v, %v", v, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := runner.WaitForVerdict(ctx, sub.Ref()); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait with a cancelled context: %v", err)
	}
	if _, err := runner.WaitForVerdict(t.Context(), client.RunRef{WorldID: "w1", StrategyID: "s", RunID: "nope"}); !client.HasCode(err, client.CodeRunNotFound) {
		t.Fatalf("wait for an unknown run: %v", err)
	}
}
