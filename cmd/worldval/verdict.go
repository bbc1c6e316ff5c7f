package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/worldval/worldval/client"
)

// printVerdict writes a verdict as text: one line with the verdict, the
// recommended stage and the policy, then one line per rule.
func printVerdict(w io.Writer, v *client.RunMetrics) {
	fmt.Fprintf(w, "%s: %s", v.Ref(), strings.ToUpper(v.Summary.Status))
	if v.Summary.RecommendedStage != "" {
		fmt.Fprintf(w, ", recommended stage %s", v.Summary.RecommendedStage)
	}
	if pv := v.Validation.PolicyVersion; pv != nil {
		fmt.Fprintf(w, " (policy version %s", *pv)
		if p := v.Validation.Profile; p != nil {
			fmt.Fprintf(w, ", profile %s", *p)
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	if v.Summary.Note != "" {
		fmt.Fprintf(w, "  note: %s\n", v.Summary.Note)
	}
	width := 0
	for _, r := range v.Validation.Results {
		width = max(width, len(r.Rule))
	}
	for _, r := range v.Validation.Results {
		fmt.Fprintf(w, "  %-*s  %-4s  %-8s  %s", width, r.Rule, r.Result.Status, r.Result.Severity, r.Result.ReasonCode)
		if r.Result.Status != client.VerdictPass {
			if vs := describeViolations(r.Result.Violations()); vs != "" {
				fmt.Fprintf(w, ": %s", vs)
			} else if r.Result.Reason != "" && r.Result.Reason != r.Result.ReasonCode {
				fmt.Fprintf(w, ": %s", r.Result.Reason)
			}
		}
		fmt.Fprintln(w)
	}
}

// describeViolations renders broken thresholds as "metric 0.31 > 0.25, …".
func describeViolations(vs []client.Violation) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		switch {
		case v.Value == nil:
			parts = append(parts, v.Metric+" missing")
		case v.Min != nil && v.Reason == "below_min":
			parts = append(parts, fmt.Sprintf("%s %s < %s", v.Metric, num(*v.Value), num(*v.Min)))
		case v.Max != nil:
			parts = append(parts, fmt.Sprintf("%s %s > %s", v.Metric, num(*v.Value), num(*v.Max)))
		default:
			parts = append(parts, v.Metric+" "+v.Reason)
		}
	}
	return strings.Join(parts, ", ")
}

// num formats a metric value with four significant digits.
func num(x float64) string {
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// decidingReasons lists the reason codes of the rules that did not pass,
// each threshold failure followed by its metrics in parentheses; "-" for a
// verdict every rule passed.
func decidingReasons(results client.RuleResults) string {
	var parts []string
	for _, r := range results.NotPassing() {
		s := r.Result.ReasonCode
		if vs := r.Result.Violations(); len(vs) > 0 {
			ms := make([]string, len(vs))
			for i, v := range vs {
				ms[i] = v.Metric
			}
			s += " (" + strings.Join(ms, ", ") + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
