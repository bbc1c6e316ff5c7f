package report

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/worldval/worldval/projections"
)

// extendedLayers are the result names and tags of section 4-1; QMTL lists
// benchmark and paper_shadow_consistency with the core rules
// (validation-core §12.1).
func isExtendedLayer(name string) bool {
	switch name {
	case "cohort", "portfolio", "stress", "live_monitoring":
		return true
	}
	return false
}

// ruleRow decodes one recorded RuleResult.
func ruleRow(name string, raw json.RawMessage) RuleRow {
	ms := members(raw)
	field := func(k string) string {
		v, _ := get(ms, k)
		return str(v)
	}
	r := RuleRow{
		Rule: name, Status: field("status"), Severity: field("severity"), Owner: field("owner"),
		ReasonCode: field("reason_code"), Reason: field("reason"),
	}
	if r.Reason == "" {
		r.Reason = r.ReasonCode
	}
	if tags, ok := get(ms, "tags"); ok {
		r.Tags = stringList(tags)
	}
	details, _ := get(ms, "details")
	for _, d := range members(details) {
		switch {
		case d.Key == "violations":
			r.Violations = violations(d.Value)
		case d.Key == "available_metrics", isNull(d.Value):
			// available_metrics lists every metric name: noise in a report.
		default:
			r.Details = append(r.Details, Fact{Label: d.Key, Value: text(d.Value)})
		}
	}
	return r
}

// violations decodes details.violations.
func violations(raw json.RawMessage) []Violation {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	out := make([]Violation, 0, len(list))
	for _, e := range list {
		ms := members(e)
		metric, _ := get(ms, "metric")
		reason, _ := get(ms, "reason")
		v := Violation{Metric: str(metric), Reason: str(reason), Value: "n/a", Bound: "present"}
		if x, ok := get(ms, "value"); ok && !isNull(x) {
			v.Value = text(x)
		}
		if x, ok := get(ms, "min"); ok && !isNull(x) {
			v.Bound = "≥ " + text(x)
		}
		if x, ok := get(ms, "max"); ok && !isNull(x) {
			v.Bound = "≤ " + text(x)
		}
		out = append(out, v)
	}
	return out
}

// splitResults decodes a result map into core rows and extended-layer rows,
// each in report order.
func splitResults(rs projections.RuleResults) (core, extended []RuleRow) {
	for _, r := range rs {
		row := ruleRow(r.Rule, r.Result)
		layer := isExtendedLayer(r.Rule)
		for _, t := range row.Tags {
			layer = layer || isExtendedLayer(t)
		}
		if layer {
			extended = append(extended, row)
		} else {
			core = append(core, row)
		}
	}
	sortRows(core)
	sortRows(extended)
	return core, extended
}

// sortRows orders results as validation-core §12.1 does: status fail <
// warn < pass < other, then severity ascending (empty last), then name.
func sortRows(rows []RuleRow) {
	rank := func(s string) int {
		switch strings.ToLower(s) {
		case "fail":
			return 0
		case "warn":
			return 1
		case "pass":
			return 2
		}
		return 3
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if ra, rb := rank(a.Status), rank(b.Status); ra != rb {
			return ra < rb
		}
		if a.Severity != b.Severity {
			if a.Severity == "" || b.Severity == "" {
				return b.Severity == ""
			}
			return a.Severity < b.Severity
		}
		return a.Rule < b.Rule
	})
}

// deciding returns the results that decided a verdict (validation-core
// §9.1), in report order: for fail, the failing blocking rules (no severity
// counts as blocking); for warn, the warnings and the failing soft or info
// rules.
func deciding(status string, rows []RuleRow) []RuleRow {
	var out []RuleRow
	for _, r := range rows {
		st := strings.ToLower(r.Status)
		blocking := r.Severity == "" || strings.EqualFold(r.Severity, "blocking")
		switch strings.ToLower(status) {
		case "fail":
			if st == "fail" && blocking {
				out = append(out, r)
			}
		case "warn":
			if st == "warn" || (st == "fail" && !blocking) {
				out = append(out, r)
			}
		}
	}
	sortRows(out)
	return out
}

// statusClass maps a status to the styling class.
func statusClass(s string) string {
	switch strings.ToLower(s) {
	case "pass", "warn", "fail":
		return strings.ToLower(s)
	}
	return "pending"
}
