package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown renders the report as Markdown with the section headings of
// validation-core §12.1.
func WriteMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdText(r.Title))

	b.WriteString("## 0. Summary\n\n")
	fmt.Fprintf(&b, "**%s**", r.Summary.Status)
	if r.Summary.Note != "" {
		fmt.Fprintf(&b, " — %s", mdText(r.Summary.Note))
	}
	b.WriteString("\n\n| | |\n| --- | --- |\n")
	for _, f := range r.Summary.Facts {
		fmt.Fprintf(&b, "| %s | %s |\n", f.Label, mdValue(f))
	}
	b.WriteString("\n")
	if len(r.Summary.Deciding) > 0 {
		b.WriteString("Deciding results:\n\n")
		for _, d := range r.Summary.Deciding {
			fmt.Fprintf(&b, "- **%s** %s (%s, `%s`): %s\n", d.Rule, d.Status, orNA(d.Severity), d.ReasonCode, mdText(d.Reason))
			for _, v := range d.Violations {
				fmt.Fprintf(&b, "  - `%s` = %s, %s (bound %s)\n", v.Metric, v.Value, v.Reason, v.Bound)
			}
			if len(d.Violations) == 0 {
				for _, f := range d.Details {
					fmt.Fprintf(&b, "  - %s = %s\n", f.Label, mdText(f.Value))
				}
			}
		}
		b.WriteString("\n")
	}

	b.WriteString("## 1. Scope & Objective\n\n")
	if !r.Scope.Available {
		b.WriteString("No model card is known for this strategy.\n\n")
	} else {
		fmt.Fprintf(&b, "- Scope: %s\n- Objective: %s\n- Universe: %s\n\n",
			mdText(orNotProvided(r.Scope.Scope)), mdText(orNotProvided(r.Scope.Objective)), mdText(orNotProvided(r.Scope.Universe)))
	}

	b.WriteString("## 2. Model summary\n\n")
	if r.Model.Empty() {
		b.WriteString("Model card fields not provided.\n\n")
	} else {
		fmt.Fprintf(&b, "From %s.\n\n", mdText(r.Model.Card))
		mdList(&b, "Features / signals", r.Model.Features)
		mdList(&b, "Data", r.Model.DataSources)
		mdList(&b, "Assumptions", r.Model.Assumptions)
		mdList(&b, "Limitations", r.Model.Limitations)
		for _, f := range r.Model.Extra {
			fmt.Fprintf(&b, "- %s: %s\n", mdText(fieldLabel(f.Label)), mdText(f.Value))
		}
		b.WriteString("\n")
	}

	b.WriteString("## 3. Validation profile & methods\n\n")
	fmt.Fprintf(&b, "- Profile: %s\n- Policy version: %s\n- Ruleset hash: `%s`\n- on_error: %s, on_missing_metric: %s\n\n",
		r.Profile.Profile, r.Profile.PolicyVersion, r.Profile.RulesetHash, r.Profile.OnError, r.Profile.OnMissingMetric)
	if len(r.Profile.Thresholds) > 0 {
		b.WriteString("| threshold | metric | min | max | run's value | |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, t := range r.Profile.Thresholds {
			mark := "ok"
			if t.Breached {
				mark = "**breached**"
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s |\n", mdText(t.Key), t.Metric, t.Min, t.Max, t.Value, mark)
		}
		b.WriteString("\n")
	}
	for _, f := range r.Profile.Rules {
		fmt.Fprintf(&b, "- %s: %s\n", mdText(f.Label), mdText(f.Value))
	}
	if len(r.Profile.Rules) > 0 {
		b.WriteString("\n")
	}

	b.WriteString("## 4. Results\n\n")
	mdRules(&b, r.Results)
	b.WriteString("### 4-1. Extended validation\n\n")
	if r.Extended.Revision > 0 {
		fmt.Fprintf(&b, "Extended revision %d, evaluated at %s.", r.Extended.Revision, r.Extended.EvaluatedAt)
		if r.Extended.Summary != "" {
			fmt.Fprintf(&b, " Extended summary: `%s`.", r.Extended.Summary)
		}
		b.WriteString("\n\n")
	}
	if len(r.Extended.Rows) == 0 {
		b.WriteString("No extended-layer results (cohort, portfolio, stress, live monitoring) are recorded.\n\n")
	} else {
		mdRules(&b, r.Extended.Rows)
	}
	for _, p := range r.Extended.Passes {
		parts := make([]string, 0, len(p.Statuses))
		for _, s := range p.Statuses {
			parts = append(parts, s.Label+" "+s.Value)
		}
		fmt.Fprintf(&b, "- revision %d at %s: %s\n", p.Revision, p.EvaluatedAt, orNA(strings.Join(parts, ", ")))
	}
	if len(r.Extended.Passes) > 0 {
		b.WriteString("\n")
	}

	b.WriteString("## 5. Metrics snapshot\n\n| metric | value |\n| --- | --- |\n")
	for _, f := range r.Metrics.Leaves {
		fmt.Fprintf(&b, "| `%s` | %s |\n", f.Label, mdText(f.Value))
	}
	if r.Metrics.More > 0 {
		fmt.Fprintf(&b, "\n%d more metric values are in the run's metrics document.\n", r.Metrics.More)
	}
	b.WriteString("\n")
	if c := r.Charts; c != nil {
		fmt.Fprintf(&b, "Return series: %d periods, final net equity %s, maximum drawdown %s", c.N, num(c.FinalEquity), num(c.MaxDrawdown))
		if c.Window > 0 {
			fmt.Fprintf(&b, ", rolling Sharpe over %d periods (the charts are in the HTML report)", c.Window)
		}
		b.WriteString(".\n\n")
	}

	b.WriteString("## 6. Override information\n\n")
	if r.Override == nil {
		b.WriteString("No override was recorded.\n\n")
	} else {
		o := r.Override
		fmt.Fprintf(&b, "- Status: %s\n- Reason: %s\n- Actor: %s\n- Timestamp: %s\n", o.Status, mdText(o.Reason), mdText(o.Actor), o.Timestamp)
		if o.ReviewDue != "" {
			fmt.Fprintf(&b, "- Review due: %s\n", o.ReviewDue)
		}
		if o.Active && strings.EqualFold(o.Status, "approved") {
			b.WriteString("\nAn approved override does not change the verdict; Invariant 3 lists it for re-review until it is reviewed.\n")
		}
		if len(o.Changes) > 0 {
			b.WriteString("\n| revision | recorded at | status | reason | actor | timestamp |\n| --- | --- | --- | --- | --- | --- |\n")
			for _, c := range o.Changes {
				fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", c.Revision, c.RecordedAt, c.Status, mdText(c.Reason), mdText(c.Actor), c.Timestamp)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("### 6-1. Ex-post failures\n\n")
	if len(r.ExPostFailures) == 0 {
		b.WriteString("No ex-post failure was recorded.\n\n")
	} else {
		b.WriteString("| case | status | category | reason code | severity | actor | recorded at | source | notes |\n")
		b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, f := range r.ExPostFailures {
			fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s | %s | %s | %s | %s |\n", mdText(f.CaseID), f.Status, mdText(f.Category), f.ReasonCode,
				f.Severity, mdText(f.Actor), f.RecordedAt, f.Source, mdText(f.Notes))
		}
		b.WriteString("\n")
	}

	b.WriteString("## 7. Benchmark comparison\n\n")
	if r.Benchmark == nil {
		b.WriteString("No benchmark data was submitted.\n\n")
	} else {
		if r.Benchmark.Note != "" {
			fmt.Fprintf(&b, "%s\n\n", mdText(r.Benchmark.Note))
		}
		if len(r.Benchmark.Rows) > 0 {
			b.WriteString("| measure | strategy | benchmark | diff |\n| --- | --- | --- | --- |\n")
			for _, row := range r.Benchmark.Rows {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.Measure, row.Strategy, row.Benchmark, row.Diff)
			}
			b.WriteString("\n")
		}
		for _, f := range r.Benchmark.Extras {
			fmt.Fprintf(&b, "- %s: %s\n", f.Label, f.Value)
		}
		if len(r.Benchmark.Extras) > 0 {
			b.WriteString("\n")
		}
	}

	b.WriteString("## 8. Limitations & recommendations\n\n")
	fmt.Fprintf(&b, "Recommended stage: **%s**.\n\n", r.Limitations.RecommendedStage)
	if len(r.Limitations.Known) > 0 {
		mdList(&b, "Known limitations", r.Limitations.Known)
		b.WriteString("\n")
	} else {
		b.WriteString("Known limitations: (not provided).\n\n")
	}
	for _, e := range r.Limitations.ExtendedDetails {
		fmt.Fprintf(&b, "- %s (%s):", e.Rule, e.Status)
		if len(e.Details) == 0 {
			b.WriteString(" no details")
		}
		for i, d := range e.Details {
			if i > 0 {
				b.WriteString(";")
			}
			fmt.Fprintf(&b, " %s = %s", d.Label, mdText(d.Value))
		}
		b.WriteString("\n")
	}
	if len(r.Limitations.ExtendedDetails) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("Recommendations:\n\n")
	for _, s := range r.Limitations.Recommendations {
		fmt.Fprintf(&b, "1. %s\n", mdText(s))
	}

	b.WriteString("\n## Appendix: revision history\n\n| revision | recorded at | change | status |\n| --- | --- | --- | --- |\n")
	for _, h := range r.History {
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", h.Revision, h.RecordedAt, mdText(h.Change), h.Status)
	}
	fmt.Fprintf(&b, "\n_Generated %s from the run's event history._\n", r.GeneratedAt)
	_, err := io.WriteString(w, b.String())
	return err
}

// mdRules renders a result table.
func mdRules(b *strings.Builder, rows []RuleRow) {
	b.WriteString("| rule | status | severity | owner | reason |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		reason := mdText(r.Reason)
		if r.ReasonCode != "" && r.ReasonCode != r.Reason {
			reason += " (`" + r.ReasonCode + "`)"
		}
		for _, v := range r.Violations {
			reason += fmt.Sprintf("<br>`%s` = %s, %s (bound %s)", v.Metric, v.Value, v.Reason, v.Bound)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", r.Rule, strings.ToUpper(orNA(r.Status)), orNA(r.Severity), orNA(r.Owner), reason)
	}
	b.WriteString("\n")
}

func mdList(b *strings.Builder, label string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "- %s:\n", label)
	for _, it := range items {
		fmt.Fprintf(b, "  - %s\n", mdText(it))
	}
}

// mdValue renders a fact's value, in code when it is an identifier.
func mdValue(f Fact) string {
	if f.Code {
		return "`" + strings.ReplaceAll(f.Value, "`", "'") + "`"
	}
	return mdText(f.Value)
}

// mdText keeps a value on one table line and stops it from closing a cell.
func mdText(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "<", "&lt;").Replace(s)
}
