package rules

import (
	"errors"
	"testing"

	"github.com/worldval/worldval/validation/policy"
)

func TestRuleErrors(t *testing.T) {
	all := `
correlation: {max: 0.5}
validation_profiles: {p: {sample: {severity: info, owner: ops}, performance: {severity: soft}, risk: {owner: quant}, robustness: {severity: blocking}}}
cohort: {top_k: 1, owner: ops}
portfolio: {}
benchmark: {}
stress: {scenarios: {}}
paper_shadow_consistency: {}
live_monitoring: {}
`
	want := map[string]struct {
		sev   policy.Severity
		owner policy.Owner
		tag   string
	}{
		DataCurrency:           {policy.Blocking, policy.Ops, "data_currency"},
		Sample:                 {policy.Info, policy.Ops, "sample"},
		Performance:            {policy.Soft, policy.Quant, "performance"},
		RiskConstraint:         {policy.Blocking, policy.Quant, "risk"},
		Robustness:             {policy.Blocking, policy.Quant, "robustness"},
		Cohort:                 {policy.Soft, policy.Ops, "cohort"},
		Portfolio:              {policy.Soft, policy.Risk, "portfolio"},
		Benchmark:              {policy.Soft, policy.Quant, "benchmark"},
		Stress:                 {policy.Info, policy.Ops, "stress"},
		PaperShadowConsistency: {policy.Soft, policy.Ops, "paper_shadow"},
		LiveMonitoring:         {policy.Soft, policy.Risk, "live_monitoring"},
	}
	for _, onError := range []string{"fail", "warn"} {
		p := pol(t, all+"validation: {on_error: "+onError+"}\n")
		for rule, w := range want {
			out := evaluate(p, SetInput{Stage: "paper", Candidates: []Candidate{{StrategyID: "s", Metrics: good()}}}, rule).Strategies[0]
			r, ok := out.Validation.Results.Get(rule)
			if !ok {
				t.Fatalf("%s missing", rule)
			}
			if r.Status != Status(onError) || r.ReasonCode != ReasonRuleError || r.Severity != w.sev || r.Owner != w.owner || r.Tags[0] != w.tag {
				t.Errorf("%s/%s: %+v", onError, rule, r)
			}
			if r.Details.Map()["error"] != "injected fault in "+rule || r.Reason != "injected fault in "+rule {
				t.Errorf("%s details %v", rule, r.Details)
			}
			if len(out.Validation.Results) != 11 {
				t.Errorf("%s: evaluation did not continue: %v", rule, names(out.Validation.Results))
			}
			if out.Health.ValidationErrorCount != 1 {
				t.Errorf("%s: health %+v", rule, out.Health)
			}
		}
	}
	// Fail-closed worlds force on_error to fail.
	p := pol(t, "validation: {on_error: warn}")
	out := evaluate(p, SetInput{FailClosed: true, Candidates: []Candidate{{StrategyID: "s", Metrics: good()}}}, Sample).Strategies[0]
	if r, _ := out.Validation.Results.Get(Sample); r.Status != Fail {
		t.Errorf("fail-closed on_error: %+v", r)
	}
}

func TestRuleErrorHelper(t *testing.T) {
	tags := []string{"x"}
	r := RuleError("", policy.Soft, policy.Risk, tags, errors.New("boom"))
	if r.Status != Fail || r.Reason != "boom" || r.Details.Map()["error"] != "boom" || r.Severity != policy.Soft || r.Owner != policy.Risk {
		t.Errorf("%+v", r)
	}
	r.Tags[0] = "y"
	if tags[0] != "x" {
		t.Errorf("tags aliased")
	}
	if RuleError("warn", "", "", nil, errors.New("e")).Status != Warn {
		t.Errorf("warn")
	}
}
