package rules

import (
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

// Threshold violation reasons (validation-core Appendix A).
const (
	violationMissing  = "missing_metric"
	violationBelowMin = "below_min"
	violationAboveMax = "above_max"
)

// Violation is one failed threshold, as reported in details.violations.
type Violation struct {
	// Metric is the threshold's metric name.
	Metric string `json:"metric"`
	// Reason is missing_metric, below_min or above_max.
	Reason string `json:"reason"`
	// Mode is the on_missing_metric mode of a missing_metric violation.
	Mode string `json:"mode,omitempty"`
	// Min is the violated lower bound.
	Min *float64 `json:"min,omitempty"`
	// Max is the violated upper bound.
	Max *float64 `json:"max,omitempty"`
	// Value is the metric's value (absent for missing_metric).
	Value *float64 `json:"value,omitempty"`
	// Blocking is false only for a missing metric under mode warn.
	Blocking bool `json:"blocking"`
}

// checkThresholds evaluates thresholds against a flat map (validation-core
// §7.4) with the given missing-metric mode; bounds are inclusive.
func checkThresholds(ts []policy.Threshold, m *metrics.Flat, mode string) []Violation {
	var out []Violation
	for i := range ts {
		t := &ts[i]
		v, ok := m.Lookup(t.Metric)
		if !ok {
			if mode != policy.ModeIgnore {
				out = append(out, Violation{Metric: t.Metric, Reason: violationMissing, Mode: mode, Blocking: mode == policy.ModeFail})
			}
			continue
		}
		if t.Min != nil && v < *t.Min {
			val := v
			out = append(out, Violation{Metric: t.Metric, Reason: violationBelowMin, Min: t.Min, Value: &val, Blocking: true})
		}
		if t.Max != nil && v > *t.Max {
			val := v
			out = append(out, Violation{Metric: t.Metric, Reason: violationAboveMax, Max: t.Max, Value: &val, Blocking: true})
		}
	}
	return out
}

// anyBlocking reports whether a violation list holds a blocking violation.
func anyBlocking(vs []Violation) bool {
	for i := range vs {
		if vs[i].Blocking {
			return true
		}
	}
	return false
}
