package projections

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ruleOrder is the key order of a result map (validation-core §7.10): the
// core rules, then the extended ones. Rules not listed follow in name order,
// so the order is a function of the names alone.
var ruleOrder = map[string]int{
	"data_currency": 0, "sample": 1, "performance": 2, "risk_constraint": 3, "robustness": 4,
	"cohort": 5, "portfolio": 6, "benchmark": 7, "stress": 8, "paper_shadow_consistency": 9, "live_monitoring": 10,
}

// RuleResult is one entry of a result map: a rule name and its RuleResult
// document (validation-core §8.1) as recorded.
type RuleResult struct {
	// Rule is the rule name (data_currency, sample, …).
	Rule string
	// Result is the RuleResult document.
	Result json.RawMessage
}

// RuleResults is a result map that keeps the key order of validation-core
// §7.10 when encoded as a JSON object. The zero value is an empty map; nil
// encodes as {}.
type RuleResults []RuleResult

// Get returns the result recorded for rule.
func (rs RuleResults) Get(rule string) (json.RawMessage, bool) {
	for _, r := range rs {
		if r.Rule == rule {
			return r.Result, true
		}
	}
	return nil, false
}

// set returns the results with result recorded for rule, replacing a
// previous one or inserting it at its place. It never modifies rs: the
// returned slice is new, so copies of a run view taken earlier (history
// revisions of the same batch) keep their results.
func (rs RuleResults) set(rule string, result json.RawMessage) RuleResults {
	out := make(RuleResults, 0, len(rs)+1)
	for _, r := range rs {
		if r.Rule != rule {
			out = append(out, r)
		}
	}
	out = append(out, RuleResult{Rule: rule, Result: result})
	sortResults(out)
	return out
}

// sortResults puts results in §7.10 order, unknown rules last by name.
func sortResults(rs RuleResults) {
	slices.SortFunc(rs, func(a, b RuleResult) int {
		if c := cmp.Compare(rank(a.Rule), rank(b.Rule)); c != 0 {
			return c
		}
		return strings.Compare(a.Rule, b.Rule)
	})
}

func rank(rule string) int {
	if r, ok := ruleOrder[rule]; ok {
		return r
	}
	return len(ruleOrder)
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
		b.Write(name)
		b.WriteByte(':')
		if len(r.Result) == 0 {
			b.WriteString("null")
		} else {
			b.Write(r.Result)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON decodes a JSON object (or null) and puts its entries in
// result-map order.
func (rs *RuleResults) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("rule results: %w", err)
	}
	if m == nil {
		*rs = nil
		return nil
	}
	out := make(RuleResults, 0, len(m))
	for name, v := range m {
		out = append(out, RuleResult{Rule: name, Result: v})
	}
	sortResults(out)
	*rs = out
	return nil
}

// decodeResults reads a rule-name → RuleResult object from an event payload.
func decodeResults(raw json.RawMessage) (RuleResults, error) {
	var rs RuleResults
	if len(bytes.TrimSpace(raw)) == 0 {
		return rs, nil
	}
	if err := rs.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return rs, nil
}
