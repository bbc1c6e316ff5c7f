package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// RuleResult is the outcome of one validation rule.
type RuleResult struct {
	// Status is pass, warn or fail.
	Status string `json:"status"`
	// Severity is blocking, soft or info: a failing blocking rule fails the
	// run, a failing soft or info rule makes it warn.
	Severity string `json:"severity"`
	// Owner is who answers for the rule: quant, risk or ops.
	Owner string `json:"owner"`
	// ReasonCode is the machine-readable reason, such as dsr_below_min.
	ReasonCode string `json:"reason_code"`
	// Reason is the human-readable reason; its wording is not a contract.
	Reason string `json:"reason"`
	// Tags name the validation layer.
	Tags []string `json:"tags"`
	// Details carries rule-specific values.
	Details json.RawMessage `json:"details"`
}

// Violation is one threshold a run's metrics broke, as the performance and
// sample rules list them under details.violations.
type Violation struct {
	// Metric is the metric's name, such as max_drawdown.
	Metric string `json:"metric"`
	// Reason is below_min, above_max or missing_metric.
	Reason string `json:"reason"`
	// Min and Max are the bounds; Value is the metric, nil when missing.
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`   // See Min.
	Value *float64 `json:"value,omitempty"` // See Min.
	// Blocking tells whether the threshold is blocking.
	Blocking bool `json:"blocking"`
}

// Violations returns the thresholds listed in the result's
// details.violations, nil when it lists none.
func (r RuleResult) Violations() []Violation {
	var d struct {
		Violations []Violation `json:"violations"`
	}
	if len(r.Details) == 0 || json.Unmarshal(r.Details, &d) != nil {
		return nil
	}
	return d.Violations
}

// NamedResult is one rule's result with the rule's name.
type NamedResult struct {
	// Rule is the rule's name: data_currency, sample, performance,
	// risk_constraint, robustness, or an extended layer's.
	Rule string
	// Result is the rule's outcome.
	Result RuleResult
}

// RuleResults are a run's rule results in the order the service gives them
// (the core rules first). They decode from, and encode to, the JSON object
// rule name → result, keeping its member order.
type RuleResults []NamedResult

// Get returns the result of the named rule.
func (rs RuleResults) Get(rule string) (RuleResult, bool) {
	for _, r := range rs {
		if r.Rule == rule {
			return r.Result, true
		}
	}
	return RuleResult{}, false
}

// NotPassing returns the results whose status is not pass, in order: the
// rules that decided a warn or fail verdict.
func (rs RuleResults) NotPassing() RuleResults {
	var out RuleResults
	for _, r := range rs {
		if r.Result.Status != VerdictPass {
			out = append(out, r)
		}
	}
	return out
}

// UnmarshalJSON decodes a JSON object of rule results (or null) in member
// order.
func (rs *RuleResults) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("rule results: %w", err)
	}
	if tok == nil {
		*rs = nil
		return nil
	}
	if tok != json.Delim('{') {
		return errors.New("rule results: not a JSON object")
	}
	out := RuleResults{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("rule results: %w", err)
		}
		name, _ := tok.(string)
		var r RuleResult
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("rule results: %s: %w", name, err)
		}
		out = append(out, NamedResult{Rule: name, Result: r})
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("rule results: %w", err)
	}
	*rs = out
	return nil
}

// MarshalJSON encodes the results as one JSON object in their order.
func (rs RuleResults) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(r.Rule)
		if err != nil {
			return nil, err
		}
		res, err := json.Marshal(r.Result)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(res)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
