package policydiff

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxMarkdownDiffs caps the per-strategy table of a Markdown report; the
// JSON report always lists every changed strategy.
const maxMarkdownDiffs = 200

// WriteMarkdown renders the report for a reviewer: the two policies, the
// counts, the impact ratio with the gate decision (flagged for manual review
// above 5 %, §11.4), the top offenders and the changed strategies.
func WriteMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	b.WriteString("# Policy diff\n\n")
	fmt.Fprintf(&b, "Stage `%s`, computed %s.\n\n", orDash(r.Stage), r.Timestamp)
	b.WriteString("| | old | new |\n| --- | --- | --- |\n")
	fmt.Fprintf(&b, "| policy version | %s | %s |\n", ptrOr(r.OldPolicyVersion, "n/a"), ptrOr(r.NewPolicyVersion, "n/a"))
	fmt.Fprintf(&b, "| profile | %s | %s |\n", ptrOr(r.OldProfile, "n/a"), ptrOr(r.NewProfile, "n/a"))
	fmt.Fprintf(&b, "| ruleset hash | `%s` | `%s` |\n\n", r.OldRulesetHash, r.NewRulesetHash)

	b.WriteString("## Impact\n\n")
	b.WriteString("| measure | value |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| strategies evaluated | %d |\n", r.TotalStrategies)
	fmt.Fprintf(&b, "| strategies affected | %d |\n", r.StrategiesAffected)
	fmt.Fprintf(&b, "| status changes | %d |\n", r.StatusChanges)
	fmt.Fprintf(&b, "| selection changes | %d |\n", r.SelectionChanges)
	fmt.Fprintf(&b, "| recommended-stage changes | %d |\n", r.StageChanges)
	fmt.Fprintf(&b, "| rule status changes | %d |\n", r.RuleStatusChanges)
	fmt.Fprintf(&b, "| impact ratio | %.2f %% |\n\n", 100*r.ImpactRatio)
	if r.GateFailed {
		fmt.Fprintf(&b, "**Gate: FAILED** — impact ratio %.4f ≥ fail_impact_ratio %.4f.\n\n", r.ImpactRatio, r.FailImpactRatio)
	} else {
		fmt.Fprintf(&b, "**Gate: passed** — impact ratio %.4f < fail_impact_ratio %.4f.\n\n", r.ImpactRatio, r.FailImpactRatio)
	}
	if r.ManualReview {
		b.WriteString("> ⚠ The impact ratio is above 5 %: this change needs a manual review before it ships.\n\n")
	}
	if len(r.StatusTransitions) > 0 {
		b.WriteString("| status change | strategies |\n| --- | --- |\n")
		names := make([]string, 0, len(r.StatusTransitions))
		for k := range r.StatusTransitions {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(&b, "| %s | %d |\n", k, r.StatusTransitions[k])
		}
		b.WriteString("\n")
	}
	if len(r.TopOffenders) > 0 {
		b.WriteString("## Top offenders\n\n| strategy | run | change | status | rule changes |\n| --- | --- | --- | --- | --- |\n")
		for _, o := range r.TopOffenders {
			fmt.Fprintf(&b, "| %s | %s | %s | %s → %s | %d |\n", cell(o.StrategyID), cell(orDash(o.RunID)), o.Change,
				ptrOr(o.OldStatus, "n/a"), ptrOr(o.NewStatus, "n/a"), o.RuleChanges)
		}
		b.WriteString("\n")
	}
	b.WriteString("## Changed strategies\n\n")
	if len(r.Diffs) == 0 {
		b.WriteString("No strategy changes outcome.\n")
	} else {
		b.WriteString("| strategy | run | status (severity-blind) | summary status | selected | recommended stage | rule changes |\n")
		b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
		for i, d := range r.Diffs {
			if i == maxMarkdownDiffs {
				fmt.Fprintf(&b, "\n%d more changed strategies are listed in the JSON report (`--format json`).\n", len(r.Diffs)-maxMarkdownDiffs)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", cell(d.StrategyID), cell(orDash(d.RunID)),
				arrow(ptrOr(d.OldStatus, "n/a"), ptrOr(d.NewStatus, "n/a")), arrow(d.OldSummaryStatus, d.NewSummaryStatus),
				arrow(yesNo(d.OldSelected), yesNo(d.NewSelected)),
				arrow(ptrOr(d.OldRecommendedStage, "n/a"), ptrOr(d.NewRecommendedStage, "n/a")), ruleCell(d.RuleChanges))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ruleCell renders rule changes as "rule: old → new (new reason code)".
func ruleCell(cs []RuleChange) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		s := c.Rule + ": " + ptrOr(c.OldStatus, "n/a") + " → " + ptrOr(c.NewStatus, "n/a")
		if c.NewReasonCode != nil {
			s += " (`" + *c.NewReasonCode + "`)"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "—"
	}
	return cell(strings.Join(parts, "; "))
}

// arrow shows a value that did not change once, and a change as old → new.
func arrow(o, n string) string {
	if o == n {
		return o
	}
	return "**" + o + " → " + n + "**"
}

func ptrOr(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

// cell escapes a value for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
