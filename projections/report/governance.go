package report

import (
	"math"
	"strings"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// override fills section 6 from the current override fields, the override
// revisions of the history and the latest override event's review due date.
// It is nil when no override was ever recorded.
func override(v *projections.RunView, h []projections.HistoryEntry, latest *events.OverrideRecorded) *Override {
	o := v.Summary.Override
	if o == nil {
		return nil
	}
	out := &Override{
		Status:    o.OverrideStatus,
		Reason:    orNotProvided(deref(o.OverrideReason)),
		Actor:     orNotProvided(deref(o.OverrideActor)),
		Timestamp: orNotProvided(o.OverrideTimestamp),
		Active:    !strings.EqualFold(o.OverrideStatus, "none") && o.OverrideStatus != "",
	}
	if latest != nil && strings.EqualFold(latest.Status, "approved") {
		out.ReviewDue = latest.ReviewDue
	}
	prev := ""
	for i := range h {
		cur := &h[i].Payload
		key := overrideOf(cur)
		if key != "" && key != prev {
			c := cur.Summary.Override
			out.Changes = append(out.Changes, OverrideChange{
				Revision: h[i].Revision, RecordedAt: h[i].RecordedAt, Status: c.OverrideStatus,
				Reason: orNotProvided(deref(c.OverrideReason)), Actor: orNotProvided(deref(c.OverrideActor)), Timestamp: c.OverrideTimestamp,
			})
		}
		prev = key
	}
	return out
}

// exPostFailures lists the run's ex-post failure log.
func exPostFailures(v *projections.RunView) []ExPostFailure {
	out := make([]ExPostFailure, 0, len(v.Summary.ExPostFailures))
	for _, f := range v.Summary.ExPostFailures {
		out = append(out, ExPostFailure{
			CaseID: orNA(f.CaseID), Status: f.Status, Category: f.Category, ReasonCode: f.ReasonCode, Severity: orNA(f.Severity),
			Actor: f.Actor, RecordedAt: f.RecordedAt, Source: f.Source, EvidenceURL: f.EvidenceURL, Notes: f.Notes,
		})
	}
	return out
}

// recommendations derives what the record implies for the next step, most
// important first: the verdict and its deciding rules, missing metrics,
// validation health, overrides due for review, ex-post failures, and what
// the report could not show.
func recommendations(rep *Report, v *projections.RunView) []string {
	var out []string
	add := func(s string) { out = append(out, s) }
	switch rep.Summary.StatusClass {
	case "fail":
		names := make([]string, 0, len(rep.Summary.Deciding))
		for _, r := range rep.Summary.Deciding {
			names = append(names, r.Rule+" ("+r.ReasonCode+")")
		}
		add("Do not promote: blocking rules fail — " + strings.Join(names, ", ") + ". Address them and submit a new run; the verdict of this run is final.")
	case "warn":
		add("Promotion needs a reviewer's judgement: the run passes its blocking rules but warns — review the deciding results in section 0.")
	case "pass":
		add("Every rule passes: the run qualifies for the recommended stage " + rep.Limitations.RecommendedStage + ".")
	default:
		add("The run is not evaluated yet: there is no verdict to act on.")
	}
	for _, r := range append(append([]RuleRow{}, rep.Results...), rep.Extended.Rows...) {
		var missing []string
		for _, vi := range r.Violations {
			if vi.Reason == "missing_metric" {
				missing = append(missing, vi.Metric)
			}
		}
		if len(missing) > 0 {
			add("Supply the missing metrics " + strings.Join(missing, ", ") + " (rule " + r.Rule + ").")
		}
	}
	doc := members(v.Metrics)
	if missing := missingCoreMetrics(doc); len(missing) > 0 {
		add("The run lacks " + num(float64(len(missing))) + " of the 12 core metrics (" + strings.Join(missing, ", ") +
			"): a policy without thresholds on them does not notice; submit them to have them checked.")
	}
	diag, _ := get(doc, "diagnostics")
	vh, _ := get(members(diag), "validation_health")
	if hm := members(vh); hm != nil {
		if x, ok := get(hm, "validation_error_count"); ok {
			if f, ok := number(x); ok && f > 0 {
				add("Validation recorded " + num(f) + " rule error(s): the affected rules did not evaluate the strategy.")
			}
		}
	}
	if o := rep.Override; o != nil && o.Active && strings.EqualFold(o.Status, "approved") {
		due := o.ReviewDue
		if due == "" {
			due = "(no due date recorded)"
		}
		add("An approved override stands: it must be re-reviewed by " + due + " (Invariant 3).")
	}
	if n := len(rep.ExPostFailures); n > 0 {
		add("Ex-post failures were recorded after validation (" + num(float64(n)) + "): revisit the policy's thresholds for this failure mode.")
	}
	if !rep.Profile.Snapshot && rep.Summary.StatusClass != "pending" {
		add("The verdict recorded no policy snapshot: the thresholds in section 3 cannot be shown.")
	}
	if rep.Charts == nil {
		add("No return series was submitted (metrics only): the charts cannot be drawn and the metrics cannot be re-derived.")
	}
	if !rep.Scope.Available {
		add("Publish a model card for the strategy (objective, data, assumptions, limitations) so the report can state scope and limitations.")
	}
	return out
}

// benchmark fills section 7 when the metrics carry a benchmark block or
// comparison extras; nil otherwise.
func benchmark(raw []byte, c *Charts) *Benchmark {
	doc := members(raw)
	bench, hasBench := get(doc, "benchmark")
	bm := members(bench)
	ret, _ := get(doc, "returns")
	rm := members(ret)
	diag, _ := get(doc, "diagnostics")
	extra, _ := get(members(diag), "extra_metrics")
	em := members(extra)
	b := &Benchmark{}
	for _, k := range []string{"benchmark_sharpe", "vs_benchmark_sharpe", "portfolio_sharpe_uplift"} {
		if x, ok := get(em, k); ok && !isNull(x) {
			b.Extras = append(b.Extras, Fact{Label: k, Value: text(x)})
		}
	}
	if hasBench && bm != nil {
		for _, m := range []string{"sharpe", "max_drawdown", "volatility"} {
			row := BenchmarkRow{Measure: m, Strategy: "n/a", Benchmark: "n/a", Diff: "n/a"}
			sv, sok := number(lookupRaw(rm, m))
			if m == "volatility" && !sok && c != nil && c.N > 0 {
				sv, sok = volatility(c), true
			}
			bv, bok := number(lookupRaw(bm, m))
			if sok {
				row.Strategy = num(sv)
			}
			if bok {
				row.Benchmark = num(bv)
			}
			if sok && bok {
				row.Diff = num(sv - bv)
			}
			b.Rows = append(b.Rows, row)
		}
	}
	if len(b.Rows) == 0 && len(b.Extras) == 0 {
		return nil
	}
	if len(b.Rows) == 0 {
		b.Note = benchmarkNote(em)
	}
	return b
}

// benchmarkNote explains comparison extras shown without a benchmark
// series. A portfolio_sharpe_uplift with neither a portfolio baseline nor a
// benchmark Sharpe to subtract is measured against 0 (validation-core
// §4.7.3): it is the strategy's own Sharpe ratio, which the section must not
// pass off as an uplift over anything.
func benchmarkNote(extra []member) string {
	note := "No benchmark series was submitted; these are the comparison values of the run's metrics (diagnostics.extra_metrics)."
	if x, ok := get(extra, "portfolio_sharpe_uplift"); !ok || isNull(x) {
		return note
	}
	for _, k := range []string{"portfolio_baseline_sharpe", "benchmark_sharpe"} {
		if x, ok := get(extra, k); ok && !isNull(x) {
			return note
		}
	}
	return note + " No portfolio baseline or benchmark Sharpe ratio was known, so portfolio_sharpe_uplift is measured against 0: it is the strategy's own Sharpe ratio, not an uplift."
}

func lookupRaw(ms []member, key string) []byte {
	v, _ := get(ms, key)
	return v
}

// volatility is the population standard deviation of the per-period net
// returns behind the charts.
func volatility(c *Charts) float64 {
	prev, sum := 0.0, 0.0
	xs := make([]float64, len(c.Equity))
	for i, e := range c.Equity {
		xs[i] = e - prev
		prev = e
		sum += xs[i]
	}
	mean := sum / float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(xs)))
}

// missingCoreMetrics lists the v1 core metric paths (validation-core §3.1,
// the paths validation health's metric coverage counts) that are null in
// the run's metrics document.
func missingCoreMetrics(doc []member) []string {
	var out []string
	for _, p := range [...][2]string{
		{"returns", "sharpe"}, {"returns", "max_drawdown"}, {"returns", "gain_to_pain_ratio"}, {"returns", "time_under_water_ratio"},
		{"sample", "effective_history_years"}, {"sample", "n_trades_total"}, {"sample", "n_trades_per_year"},
		{"risk", "adv_utilization_p95"}, {"risk", "participation_rate_p95"},
		{"robustness", "deflated_sharpe_ratio"}, {"robustness", "sharpe_first_half"}, {"robustness", "sharpe_second_half"},
	} {
		block, _ := get(doc, p[0])
		if v, ok := get(members(block), p[1]); !ok || isNull(v) {
			out = append(out, p[0]+"."+p[1])
		}
	}
	return out
}
