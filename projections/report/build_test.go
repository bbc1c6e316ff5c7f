package report

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

func factValue(fs []Fact, label string) (string, bool) {
	for _, f := range fs {
		if f.Label == label {
			return f.Value, true
		}
	}
	return "", false
}

func rules(rows []RuleRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Rule
	}
	return out
}

// TestBuildFromHistory checks every section against the history it was
// built from.
func TestBuildFromHistory(t *testing.T) {
	in := fixture(t, "tail-risk.json")
	r := Build(in)
	if r.Title != "Validation Report — short-vol @ demo" || r.GeneratedAt != "2026-11-26T09:30:00Z" {
		t.Fatalf("title %q at %q", r.Title, r.GeneratedAt)
	}
	// 0. Summary: the verdict, and what decided it.
	if r.Summary.Status != "FAIL" || r.Summary.StatusClass != "fail" {
		t.Fatalf("status %q", r.Summary.Status)
	}
	for label, want := range map[string]string{
		"Recommended stage": "backtest_only", "World": "demo", "Strategy": "short-vol", "Run": "bt-1", "Stage": "backtest",
		"Risk tier": "medium", "Model card version": "1.2", "Validation profile": "backtest", "Policy version": "3",
		"Ruleset hash": *in.Run.Validation.RulesetHash, "Created at": "2026-11-20T08:00:00Z", "Updated at": "2026-11-24T16:00:00Z",
		"Revision": "4", "Report generated at": "2026-11-26T09:30:00Z", "Selected (active)": "no",
	} {
		if got, _ := factValue(r.Summary.Facts, label); got != want {
			t.Errorf("summary %s = %q, want %q", label, got, want)
		}
	}
	if got := rules(r.Summary.Deciding); !slices.Equal(got, []string{"performance", "robustness"}) {
		t.Fatalf("deciding %v", got)
	}
	perf := r.Summary.Deciding[0]
	if perf.ReasonCode != "performance_thresholds_failed" || len(perf.Violations) != 2 || perf.Violations[0].Metric != "es_p01" ||
		perf.Violations[0].Reason != "above_max" || perf.Violations[0].Bound != "≤ 0.05" || perf.Violations[0].Value != "0.0515539" {
		t.Fatalf("performance: %+v", perf)
	}
	// 1–2. The card, in the registry's spelling and the generator's.
	if !r.Scope.Available || r.Scope.Objective != "Harvest the volatility risk premium on index options." || r.Scope.Universe != "S&P 500 index options" || r.Scope.Scope != "" {
		t.Errorf("scope %+v", r.Scope)
	}
	if !slices.Equal(r.Model.DataSources, []string{"OPRA end-of-day option quotes", "index levels"}) || !slices.Equal(r.Model.Features, []string{"VIX term structure"}) ||
		!slices.Equal(r.Model.Assumptions, []string{"implied volatility exceeds realized on average"}) || len(r.Model.Extra) != 1 || r.Model.Extra[0].Label != "owner" {
		t.Errorf("model %+v", r.Model)
	}
	if !slices.Equal(r.Limitations.Known, []string{"short gamma: large losses in crashes"}) {
		t.Errorf("known limitations %v", r.Limitations.Known)
	}
	// 3. What the verdict was reached under, from the policy snapshot.
	p := r.Profile
	if p.Profile != "backtest" || p.PolicyVersion != "3" || p.OnError != "fail" || p.OnMissingMetric != "fail" || !p.Snapshot || len(p.Thresholds) != 8 {
		t.Fatalf("profile %+v", p)
	}
	var breached []string
	for _, th := range p.Thresholds {
		if th.Breached {
			breached = append(breached, th.Key)
		}
	}
	if !slices.Equal(breached, []string{"deflated_sharpe_ratio", "tail_loss"}) {
		t.Errorf("breached thresholds %v", breached)
	}
	// 4. Results, worst first; 4-1 none.
	if got := rules(r.Results); !slices.Equal(got, []string{"performance", "robustness", "data_currency", "risk_constraint", "sample"}) {
		t.Errorf("result order %v", got)
	}
	if len(r.Extended.Rows) != 0 || r.Extended.Revision != 0 {
		t.Errorf("extended %+v", r.Extended)
	}
	// 5. The first 20 leaves in document order.
	if len(r.Metrics.Leaves) != maxMetricLeaves || r.Metrics.More == 0 || r.Metrics.Leaves[0].Label != "diagnostics.extra_metrics.portfolio_es_99_with_candidate" {
		t.Errorf("metrics %+v", r.Metrics)
	}
	// Charts: the drawdown curve's worst point is the recorded metric.
	var doc struct {
		Returns struct {
			MaxDrawdown float64 `json:"max_drawdown"`
		} `json:"returns"`
	}
	if err := json.Unmarshal(in.Run.Metrics, &doc); err != nil {
		t.Fatal(err)
	}
	if c := r.Charts; c == nil || c.N != 756 || math.Abs(c.MaxDrawdown-doc.Returns.MaxDrawdown) > 1e-12 || c.Window != 63 || len(c.RollingSharpe) != 756-63+1 {
		t.Fatalf("charts %v vs max_drawdown %v", c, doc.Returns.MaxDrawdown)
	}
	// 6. The override, with its due date and its decisions; ex-post failures.
	o := r.Override
	if o == nil || o.Status != "approved" || o.Actor != "risk.lead@example.com" || o.ReviewDue != "2027-02-19T10:00:00Z" || !o.Active ||
		len(o.Changes) != 1 || o.Changes[0].Revision != 3 {
		t.Fatalf("override %+v", o)
	}
	if len(r.ExPostFailures) != 1 || r.ExPostFailures[0].ReasonCode != "tail_loss_realized" {
		t.Errorf("ex-post %+v", r.ExPostFailures)
	}
	// 7. Comparison extras only; 8. recommendations in order of weight.
	if r.Benchmark == nil || len(r.Benchmark.Rows) != 0 || r.Benchmark.Extras[0].Label != "portfolio_sharpe_uplift" {
		t.Errorf("benchmark %+v", r.Benchmark)
	}
	rec := strings.Join(r.Limitations.Recommendations, "\n")
	for _, want := range []string{"Do not promote: blocking rules fail — performance (performance_thresholds_failed), robustness (dsr_below_min)",
		"re-reviewed by 2027-02-19T10:00:00Z", "Ex-post failures were recorded"} {
		if !strings.Contains(rec, want) {
			t.Errorf("recommendations lack %q:\n%s", want, rec)
		}
	}
	// The audit trail names each change.
	var changes []string
	for _, h := range r.History {
		changes = append(changes, h.Change)
	}
	if !slices.Equal(changes, []string{"submitted for stage backtest", "evaluated: FAIL under policy version 3",
		"override approved by risk.lead@example.com", "ex-post failure tail_loss_realized (risk_breach, confirmed)"}) {
		t.Errorf("history %q", changes)
	}
}

// TestBuildWithLittle builds the report of a pending run with nothing but
// its view: every section still renders, saying what is missing.
func TestBuildWithLittle(t *testing.T) {
	in := Input{Run: projections.RunView{WorldID: "w", StrategyID: "s", RunID: "r", Stage: "backtest", RiskTier: "unknown",
		Status: projections.StatusEvaluating, Metrics: json.RawMessage(`{"returns": {"sharpe": 0.1}}`), CreatedAt: "2026-01-01T00:00:00Z", Revision: 1}}
	r := Build(in)
	if r.Summary.Status != "EVALUATING" || r.Summary.StatusClass != "pending" || r.Charts != nil || r.Override != nil || r.Benchmark != nil ||
		r.Scope.Available || !r.Model.Empty() || r.Profile.Snapshot || r.Profile.RulesetHash != "n/a" {
		t.Fatalf("%+v", r)
	}
	if got, _ := factValue(r.Summary.Facts, "Model card version"); got != "(not provided)" {
		t.Errorf("model card version %q", got)
	}
	rec := strings.Join(r.Limitations.Recommendations, "\n")
	for _, want := range []string{"not evaluated yet", "lacks 11 of the 12 core metrics (returns.max_drawdown, returns.gain_to_pain_ratio,", "No return series", "Publish a model card"} {
		if !strings.Contains(rec, want) {
			t.Errorf("recommendations lack %q:\n%s", want, rec)
		}
	}
	for _, w := range []func() error{
		func() error { return WriteMarkdown(&strings.Builder{}, r) },
		func() error { return WriteHTML(&strings.Builder{}, r) },
	} {
		if err := w(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuildWarnAndExtended checks the deciding results of a warn (soft
// failures and warnings, not passes), the extended layers and the
// benchmark comparison.
func TestBuildWarnAndExtended(t *testing.T) {
	res := func(status, severity, code string, tags ...string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"status": status, "severity": severity, "owner": "risk", "reason_code": code, "reason": code, "tags": tags,
			"details": map[string]any{"scenario": "crash", "missing": nil}})
		return b
	}
	results := projections.RuleResults{
		{Rule: "performance", Result: res("pass", "blocking", "performance_ok")},
		{Rule: "robustness", Result: res("fail", "soft", "cv_sharpe_gap_exceeds_max")},
		{Rule: "stress", Result: res("warn", "soft", "crash_dd_missing", "stress")},
		{Rule: "custom_check", Result: res("fail", "info", "x", "portfolio")},
	}
	in := Input{Run: projections.RunView{WorldID: "w", StrategyID: "s", RunID: "r", Status: projections.StatusEvaluated,
		Metrics: json.RawMessage(`{"returns": {"sharpe": 0.12, "max_drawdown": 0.1}, "benchmark": {"sharpe": 0.08, "max_drawdown": 0.2, "volatility": 0.01}}`),
		Validation: projections.Validation{Results: results, ExtendedRevision: 2, ExtendedEvaluatedAt: "2026-01-02T00:00:00Z",
			ExtendedHistory: []projections.ExtendedEntry{{Revision: 1, EvaluatedAt: "2026-01-01T00:00:00Z", Results: results[2:3]}}},
		Summary: projections.Summary{Status: "warn"}},
		Submission: &events.EvaluationRunSubmitted{Returns: floats(0.01, -0.02, 0.015, 0.005)}}
	r := Build(in)
	if got := rules(r.Summary.Deciding); !slices.Equal(got, []string{"custom_check", "robustness", "stress"}) {
		t.Errorf("deciding %v", got)
	}
	if got := rules(r.Extended.Rows); !slices.Equal(got, []string{"custom_check", "stress"}) {
		t.Errorf("extended rows %v (tagged portfolio counts as a layer; fail sorts first)", got)
	}
	if len(r.Extended.Passes) != 1 || r.Extended.Passes[0].Statuses[0] != (Fact{Label: "stress", Value: "warn"}) {
		t.Errorf("passes %+v", r.Extended.Passes)
	}
	if d := r.Extended.Rows[1].Details; len(d) != 1 || d[0] != (Fact{Label: "scenario", Value: "crash"}) {
		t.Errorf("details keep the non-null ones: %+v", d)
	}
	b := r.Benchmark
	if b == nil || len(b.Rows) != 3 || b.Rows[0] != (BenchmarkRow{"sharpe", "0.12", "0.08", "0.04"}) || b.Rows[2].Strategy == "n/a" {
		t.Fatalf("benchmark %+v", b)
	}
	if !strings.Contains(r.Limitations.Recommendations[0], "reviewer's judgement") {
		t.Errorf("recommendations %q", r.Limitations.Recommendations)
	}
}

func floats(xs ...float64) []*float64 {
	out := make([]*float64, len(xs))
	for i := range xs {
		out[i] = &xs[i]
	}
	return out
}

// TestCharts checks the chart series against hand-computed values: net of
// the transaction cost, the peak anchored at 0, nulls skipped.
func TestCharts(t *testing.T) {
	r := []*float64{ptrF(0.01), nil, ptrF(0.02), ptrF(-0.05), ptrF(0.01)}
	c := charts(&events.EvaluationRunSubmitted{Returns: r, Params: json.RawMessage(`{"transaction_cost": 0.001}`)})
	want := []float64{0.009, 0.028, -0.023, -0.014}
	for i := range want {
		if math.Abs(c.Equity[i]-want[i]) > 1e-12 {
			t.Fatalf("equity %v, want %v", c.Equity, want)
		}
	}
	if math.Abs(c.MaxDrawdown-0.051) > 1e-12 || math.Abs(c.Drawdown[2]+0.051) > 1e-12 || c.Drawdown[0] != 0 || c.RollingSharpe != nil {
		t.Fatalf("drawdown %v max %v, rolling %v", c.Drawdown, c.MaxDrawdown, c.RollingSharpe)
	}
	// A rolling window equals the Sharpe of that window: mean/sd (ddof 0).
	xs := []float64{0.01, 0.02, -0.01, 0.03, 0.0, 0.01}
	got := rollingSharpe(xs, 5, 0)
	mean := (0.01 + 0.02 - 0.01 + 0.03 + 0.0) / 5
	ss := 0.0
	for _, x := range xs[:5] {
		ss += (x - mean) * (x - mean)
	}
	if len(got) != 2 || math.Abs(got[0]-mean/math.Sqrt(ss/5)) > 1e-12 {
		t.Fatalf("rolling %v", got)
	}
	if z := rollingSharpe([]float64{0.01, 0.01, 0.01}, 3, 0); z[0] != 0 {
		t.Fatalf("constant window: %v", z)
	}
}

func ptrF(f float64) *float64 { return &f }
