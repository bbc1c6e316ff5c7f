package projections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// ruleOrder is the key order of a result map (validation-core §7.10): the
// core rules, then the extended ones. Rules not listed follow, in the order
// they were first recorded.
var ruleOrder = map[string]int{
	"data_currency": 0, "sample": 1, "performance": 2, "risk_constraint": 3, "robustness": 4,
	"cohort": 5, "portfolio": 6, "benchmark": 7, "stress": 8, "paper_shadow_consistency": 9, "live_monitoring": 10,
}

// RuleResult is one entry of a result map: a rule name and its RuleResult
// document (validation-core §8.1) as recorded.
type RuleResult struct {
	Rule   string
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

// set records result for rule, replacing a previous one in place or
// inserting it at its §7.10 position.
func (rs RuleResults) set(rule string, result json.RawMessage) RuleResults {
	for i := range rs {
		if rs[i].Rule == rule {
			rs[i].Result = result
			return rs
		}
	}
	rs = append(rs, RuleResult{Rule: rule, Result: result})
	sort.SliceStable(rs, func(i, j int) bool { return rank(rs[i].Rule) < rank(rs[j].Rule) })
	return rs
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

// UnmarshalJSON decodes a JSON object (or null), keeping its key order.
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
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("rule results: want an object, got %v", tok)
	}
	out := RuleResults{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("rule results: %w", err)
		}
		name, _ := tok.(string) // object keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("rule results: %s: %w", name, err)
		}
		out = out.set(name, v)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("rule results: %w", err)
	}
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
