package evaluation

import (
	"errors"
	"math"
	"testing"

	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

const testPolicy = `
policy_version: 3
validation_profiles:
  backtest:
    sample: {min_effective_years: 0.01}
    performance: {sharpe_min: 0.5, max_dd_max: 0.2}
  paper:
    performance: {sharpe_min: 2.0, severity: soft}
default_profile_by_stage: {backtest: backtest, paper: paper}
`

var appendixB = []float64{0.01, 0.02, -0.005, 0.015, 0.012, 0.008, -0.003, 0.02, 0.01, 0.005}

func resolved(t *testing.T, doc string) policy.Resolved {
	t.Helper()
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	res, err := policy.Resolve(p, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestEvaluatePipeline(t *testing.T) {
	res := resolved(t, testPolicy)
	run, err := Evaluate(res, Request{WorldID: "w", StrategyID: "s", RunID: "r", Stage: " Backtest ", Returns: appendixB, HasReturns: true})
	if err != nil {
		t.Fatal(err)
	}
	if run.Stage != "backtest" || run.RiskTier != "unknown" {
		t.Fatalf("recorded stage/tier %q/%q", run.Stage, run.RiskTier)
	}
	if run.Validation.Profile == nil || *run.Validation.Profile != "backtest" || run.Validation.PolicyVersion == nil || *run.Validation.PolicyVersion != "3" {
		t.Fatalf("profile %v, version %v", run.Validation.Profile, run.Validation.PolicyVersion)
	}
	if want := res.Policy.RulesetHash("backtest", false); run.Validation.RulesetHash != want {
		t.Fatalf("ruleset hash %s, want %s", run.Validation.RulesetHash, want)
	}
	// Appendix B: sharpe 1.1450015 ≥ 0.5 and drawdown 0.005 ≤ 0.2 → performance passes.
	flat := metrics.Flatten(run.Metrics)
	if s, _ := flat.Lookup("returns.sharpe"); math.Abs(s-1.1450015) > 1e-7 {
		t.Fatalf("sharpe %v", s)
	}
	// Recording-time steps (§4.11 step 6): validation health and portfolio proxies.
	if v, ok := flat.Lookup("diagnostics.validation_health.rules_executed_ratio"); !ok || v != 1 {
		t.Fatalf("validation health not attached: %v %v", v, ok)
	}
	if v, ok := flat.Lookup("risk.incremental_var_99"); !ok || math.Abs(v-0.005) > 1e-12 {
		t.Fatalf("incremental_var_99 proxy = %v (want |max_drawdown| = 0.005)", v)
	}
	if v, _ := flat.Lookup("risk.incremental_es_99"); math.Abs(v-1.2*0.005) > 1e-12 {
		t.Fatalf("incremental_es_99 proxy = %v", v)
	}

	// Under the paper profile the same series fails a soft Sharpe bar of 2.0:
	// a non-blocking fail degrades the summary to warn (§9.1).
	paper, err := Evaluate(res, Request{StrategyID: "s", Stage: "paper", Returns: appendixB, HasReturns: true})
	if err != nil {
		t.Fatal(err)
	}
	perf, ok := paper.Validation.Results.Get("performance")
	if !ok || perf.Status != "fail" || perf.Severity != "soft" {
		t.Fatalf("paper performance: %+v", perf)
	}
	if paper.Summary.Status != "warn" {
		t.Fatalf("paper summary %q, want warn", paper.Summary.Status)
	}
}

func TestSubmittedValuesWin(t *testing.T) {
	res := resolved(t, testPolicy)
	run, err := Evaluate(res, Request{Stage: "backtest", Metrics: map[string]any{"returns": map[string]any{"sharpe": 0.1}}, Returns: appendixB, HasReturns: true})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := metrics.Flatten(run.Metrics).Lookup("returns.sharpe"); s != 0.1 {
		t.Fatalf("submitted sharpe overwritten: %v", s)
	}
	if run.Summary.Status != "fail" {
		t.Fatalf("sharpe 0.1 < 0.5 under a blocking rule must fail, got %s", run.Summary.Status)
	}
}

func TestEvaluateWithoutPolicy(t *testing.T) {
	_, err := Evaluate(policy.Resolved{}, Request{})
	if !errors.Is(err, policy.ErrNoPolicy) {
		t.Fatalf("err = %v, want ErrNoPolicy", err)
	}
	doc, _, err := Metrics(Request{Returns: appendixB, HasReturns: true})
	if err != nil {
		t.Fatal(err)
	}
	h := NoPolicyHealth(doc)
	if h.RulesExecutedRatio != 0 || h.ValidationErrorCount != 1 {
		t.Fatalf("no-policy health %+v", h)
	}
}
