package report

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/worldval/worldval/projections"
)

// maxMetricLeaves is how many metric leaves section 5 shows
// (validation-core §12.1).
const maxMetricLeaves = 20

// Build assembles the report of in.Run. It never fails: what the input
// lacks is reported as n/a or "(not provided)".
func Build(in Input) Report {
	v := &in.Run
	rep := Report{
		Title:       "Validation Report — " + v.StrategyID + " @ " + v.WorldID,
		GeneratedAt: in.GeneratedAt.UTC().Format(time.RFC3339),
	}
	core, ext := splitResults(v.Validation.Results)
	rep.Results = core
	rep.Summary = summary(in, core, ext)
	rep.Scope, rep.Model, rep.Limitations.Known = cardSections(in.ModelCard)
	var snapshot json.RawMessage
	if in.Verdict != nil {
		snapshot = in.Verdict.PolicySnapshot
	}
	rep.Profile = profileSection(deref(v.Validation.Profile), deref(v.Validation.PolicyVersion), deref(v.Validation.RulesetHash), snapshot, in.Flat)
	rep.Extended = extended(v, ext)
	rep.Metrics = metricsSnapshot(v.Metrics)
	rep.Charts = charts(in.Submission)
	rep.Override = override(v, in.History, in.Override)
	rep.ExPostFailures = exPostFailures(v)
	rep.Benchmark = benchmark(v.Metrics, rep.Charts)
	rep.Limitations.RecommendedStage = orNA(v.Summary.RecommendedStage)
	rep.Limitations.ExtendedDetails = extendedDetails(core, ext)
	rep.Limitations.Recommendations = recommendations(&rep, v)
	rep.History = revisions(in.History)
	return rep
}

// summary fills section 0.
func summary(in Input, core, ext []RuleRow) Summary {
	v := &in.Run
	status := v.Summary.Status
	if v.Status != projections.StatusEvaluated || status == "" {
		status = v.Status
	}
	s := Summary{Status: strings.ToUpper(status), StatusClass: statusClass(status), Note: v.Summary.Note}
	s.Deciding = deciding(v.Summary.Status, append(append([]RuleRow{}, core...), ext...))
	add := func(label, value string, code bool) {
		s.Facts = append(s.Facts, Fact{Label: label, Value: value, Code: code})
	}
	add("Status", s.Status, false)
	add("Recommended stage", orNA(v.Summary.RecommendedStage), false)
	add("World", v.WorldID, true)
	add("Strategy", v.StrategyID, true)
	add("Run", v.RunID, true)
	if v.Summary.CampaignID != "" {
		add("Campaign", v.Summary.CampaignID, true)
	}
	if v.Summary.Active != nil {
		active := "no"
		if *v.Summary.Active {
			active = "yes"
		}
		add("Selected (active)", active, false)
	}
	if len(v.Summary.ActiveSet) > 0 {
		add("Active set", strings.Join(v.Summary.ActiveSet, ", "), true)
	}
	add("Stage", v.Stage, false)
	add("Risk tier", v.RiskTier, false)
	cardVersion := deref(v.ModelCardVersion)
	if cardVersion == "" && in.ModelCard != nil {
		cardVersion = in.ModelCard.Version
	}
	add("Model card version", orNotProvided(cardVersion), false)
	add("Validation profile", orNA(deref(v.Validation.Profile)), false)
	add("Policy version", orNA(deref(v.Validation.PolicyVersion)), false)
	add("Ruleset hash", orNA(deref(v.Validation.RulesetHash)), true)
	if v.Validation.ExtendedRevision > 0 {
		add("Extended revision", strconv.Itoa(v.Validation.ExtendedRevision), false)
		add("Extended evaluated at", v.Validation.ExtendedEvaluatedAt, false)
	}
	add("Created at", v.CreatedAt, false)
	add("Updated at", v.UpdatedAt, false)
	add("Revision", strconv.Itoa(v.Revision), false)
	add("Report generated at", in.GeneratedAt.UTC().Format(time.RFC3339), false)
	return s
}

// extended fills section 4-1.
func extended(v *projections.RunView, rows []RuleRow) Extended {
	e := Extended{Rows: rows, Revision: v.Validation.ExtendedRevision, EvaluatedAt: v.Validation.ExtendedEvaluatedAt}
	if len(v.Validation.ExtendedSummary) > 0 && !isNull(v.Validation.ExtendedSummary) {
		e.Summary = text(v.Validation.ExtendedSummary)
	}
	for _, h := range v.Validation.ExtendedHistory {
		p := ExtendedPass{Revision: h.Revision, EvaluatedAt: h.EvaluatedAt}
		_, ext := splitResults(h.Results)
		for _, r := range ext {
			p.Statuses = append(p.Statuses, Fact{Label: r.Rule, Value: r.Status})
		}
		e.Passes = append(e.Passes, p)
	}
	return e
}

// metricsSnapshot fills section 5.
func metricsSnapshot(raw json.RawMessage) MetricsSnapshot {
	var m MetricsSnapshot
	leaves(raw, "", func(path string, value json.RawMessage) bool {
		if len(m.Leaves) < maxMetricLeaves {
			m.Leaves = append(m.Leaves, Fact{Label: path, Value: text(value)})
		} else {
			m.More++
		}
		return true
	})
	return m
}

// extendedDetails lists, for section 8, every extended rule with its
// non-null details (QMTL lists benchmark and paper/shadow consistency with
// them).
func extendedDetails(core, ext []RuleRow) []RuleRow {
	var out []RuleRow
	for _, r := range core {
		if r.Rule == "benchmark" || r.Rule == "paper_shadow_consistency" {
			out = append(out, r)
		}
	}
	return append(out, ext...)
}

// revisions lists the history, naming what each revision recorded.
func revisions(h []projections.HistoryEntry) []Revision {
	out := make([]Revision, 0, len(h))
	var prev *projections.RunView
	for i := range h {
		cur := &h[i].Payload
		out = append(out, Revision{Revision: h[i].Revision, RecordedAt: h[i].RecordedAt, Change: change(prev, cur), Status: statusOf(cur)})
		prev = cur
	}
	return out
}

// change names what a revision recorded, comparing it with the previous.
func change(prev, cur *projections.RunView) string {
	switch {
	case prev == nil:
		return "submitted for stage " + cur.Stage
	case prev.Status != projections.StatusEvaluated && cur.Status == projections.StatusEvaluated:
		return fmt.Sprintf("evaluated: %s under policy version %s", strings.ToUpper(cur.Summary.Status), orNA(deref(cur.Validation.PolicyVersion)))
	case cur.Validation.ExtendedRevision != prev.Validation.ExtendedRevision:
		return fmt.Sprintf("extended validation, revision %d", cur.Validation.ExtendedRevision)
	case len(cur.Summary.ExPostFailures) != len(prev.Summary.ExPostFailures):
		f := cur.Summary.ExPostFailures[len(cur.Summary.ExPostFailures)-1]
		return fmt.Sprintf("ex-post failure %s (%s, %s)", f.ReasonCode, f.Category, f.Status)
	case overrideOf(cur) != overrideOf(prev):
		o := cur.Summary.Override
		return fmt.Sprintf("override %s by %s", o.OverrideStatus, orNotProvided(deref(o.OverrideActor)))
	}
	return "updated"
}

// overrideOf is a comparable form of a view's override fields.
func overrideOf(v *projections.RunView) string {
	o := v.Summary.Override
	if o == nil {
		return ""
	}
	return strings.Join([]string{o.OverrideStatus, deref(o.OverrideReason), deref(o.OverrideActor), o.OverrideTimestamp}, "\x00")
}

// statusOf is the run's status as a revision shows it.
func statusOf(v *projections.RunView) string {
	if v.Status == projections.StatusEvaluated && v.Summary.Status != "" {
		return v.Summary.Status
	}
	return v.Status
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orNotProvided(s string) string {
	if s == "" {
		return "(not provided)"
	}
	return s
}
