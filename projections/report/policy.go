package report

import (
	"encoding/json"
	"fmt"
	"strings"
)

// profileSection fills section 3 from the run's validation block and the
// policy snapshot the verdict recorded (the canonical rule set its ruleset
// hash covers, validation-core §9.5).
func profileSection(profile, version, hash string, snapshot json.RawMessage, flat map[string]float64) Profile {
	p := Profile{Profile: orNA(profile), PolicyVersion: orNA(version), RulesetHash: orNA(hash), OnError: "n/a", OnMissingMetric: "n/a"}
	doc := members(snapshot)
	if doc == nil {
		return p
	}
	p.Snapshot = true
	if v, ok := get(doc, "validation"); ok {
		vm := members(v)
		if x, ok := get(vm, "on_error"); ok {
			p.OnError = str(x)
		}
		if x, ok := get(vm, "on_missing_metric"); ok {
			p.OnMissingMetric = str(x)
		}
	}
	th, _ := get(doc, "thresholds")
	for _, t := range members(th) {
		tm := members(t.Value)
		metric, _ := get(tm, "metric")
		row := Threshold{Key: t.Key, Metric: str(metric), Min: "—", Max: "—", Value: "n/a"}
		lo, hasLo := get(tm, "min")
		hi, hasHi := get(tm, "max")
		if hasLo {
			row.Min = text(lo)
		}
		if hasHi {
			row.Max = text(hi)
		}
		v, present := flat[row.Metric]
		switch {
		case flat == nil:
		case !present:
			row.Breached = p.OnMissingMetric != "ignore"
		default:
			row.Value = num(v)
			if x, ok := number(lo); hasLo && ok && v < x {
				row.Breached = true
			}
			if x, ok := number(hi); hasHi && ok && v > x {
				row.Breached = true
			}
		}
		p.Thresholds = append(p.Thresholds, row)
	}
	if pc, ok := get(doc, "profile_config"); ok {
		for _, block := range members(pc) {
			p.Rules = append(p.Rules, Fact{Label: "profile " + block.Key, Value: settings(block.Value)})
		}
	}
	for _, key := range []string{"top_k", "correlation", "hysteresis", "cohort", "portfolio", "benchmark", "stress", "paper_shadow_consistency", "live_monitoring"} {
		if v, ok := get(doc, key); ok {
			p.Rules = append(p.Rules, Fact{Label: key, Value: settings(v)})
		}
	}
	return p
}

// settings renders a settings object as "key: value, …" (nested objects in
// braces).
func settings(raw json.RawMessage) string {
	ms := members(raw)
	if ms == nil {
		return text(raw)
	}
	parts := make([]string, 0, len(ms))
	for _, m := range ms {
		if members(m.Value) != nil {
			parts = append(parts, fmt.Sprintf("%s: {%s}", m.Key, settings(m.Value)))
			continue
		}
		parts = append(parts, m.Key+": "+text(m.Value))
	}
	return strings.Join(parts, ", ")
}

// orNA renders an empty value as n/a.
func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}
