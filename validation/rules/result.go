package rules

import (
	"github.com/worldval/worldval/validation/policy"
)

// Status is a rule's outcome.
type Status string

// Rule outcomes, from best to worst.
const (
	// Pass means the rule is satisfied.
	Pass Status = "pass"
	// Warn means a non-blocking problem (a missing metric, for instance).
	Warn Status = "warn"
	// Fail means the rule is violated; its severity decides what that does
	// to the run.
	Fail Status = "fail"
)

// worse returns the worse of two statuses (fail > warn > pass).
func worse(a, b Status) Status {
	if a == Fail || b == Fail {
		return Fail
	}
	if a == Warn || b == Warn {
		return Warn
	}
	return Pass
}

// Rule names, which are also the keys of the results map, in result order
// (validation-core §7.10).
const (
	DataCurrency           = "data_currency"
	Sample                 = "sample"
	Performance            = "performance"
	RiskConstraint         = "risk_constraint"
	Robustness             = "robustness"
	Cohort                 = "cohort"
	Portfolio              = "portfolio"
	Benchmark              = "benchmark"
	Stress                 = "stress"
	PaperShadowConsistency = "paper_shadow_consistency"
	LiveMonitoring         = "live_monitoring"
)

// ReasonRuleError is the reason_code of a rule whose evaluation failed.
const ReasonRuleError = "rule_error"

// RuleResult is the outcome of one rule for one strategy (validation-core
// §8.1).
type RuleResult struct {
	// Status is pass, warn or fail.
	Status Status `json:"status"`
	// Severity is blocking, soft or info.
	Severity policy.Severity `json:"severity"`
	// Owner is quant, risk or ops.
	Owner policy.Owner `json:"owner"`
	// ReasonCode is the machine-readable reason (validation-core Appendix A).
	ReasonCode string `json:"reason_code"`
	// Reason is the human-readable reason; its wording is not a contract.
	Reason string `json:"reason"`
	// Tags name the validation layer; their order is not significant. The
	// slice may be shared between results and must not be modified.
	Tags []string `json:"tags"`
	// Details carries rule-specific values (additive).
	Details Details `json:"details"`
}

// NamedResult is one entry of [Results].
type NamedResult struct {
	// Name is the rule name (a key of validation.results).
	Name string
	// Result is the rule's outcome.
	Result RuleResult
}

// Results is the ordered map rule name → result of one strategy. It encodes
// as a JSON object whose members follow the rule order of validation-core
// §7.10.
type Results []NamedResult

// Get returns the result of the named rule.
func (rs Results) Get(name string) (RuleResult, bool) {
	for _, r := range rs {
		if r.Name == name {
			return r.Result, true
		}
	}
	return RuleResult{}, false
}

// MarshalJSON encodes the results as one JSON object, in order.
func (rs Results) MarshalJSON() ([]byte, error) {
	return appendObject(make([]byte, 0, 512*len(rs)+2), "result", len(rs), func(i int) (string, any) { return rs[i].Name, rs[i].Result })
}

// UnmarshalJSON decodes a JSON object of results, keeping member order.
func (rs *Results) UnmarshalJSON(data []byte) error {
	out := Results{}
	isNull, err := decodeObject(data, "results", func(k string, r RuleResult) { out = append(out, NamedResult{Name: k, Result: r}) })
	switch {
	case err != nil:
		return err
	case isNull:
		*rs = nil
	default:
		*rs = out
	}
	return nil
}
