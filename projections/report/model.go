package report

// Report is a validation report: one member per section of validation-core
// §12.1, plus the charts of the return series and the revision history. Both
// renderers read only this.
type Report struct {
	// Title is "Validation Report — <strategy_id> @ <world_id>".
	Title string
	// GeneratedAt is when the report was generated (RFC 3339, UTC).
	GeneratedAt string
	Summary     Summary      // 0. Summary
	Scope       Scope        // 1. Scope & Objective
	Model       ModelSummary // 2. Model summary
	Profile     Profile      // 3. Validation profile & methods
	// Results are the core results (4. Results), worst first.
	Results []RuleRow
	// Extended is section 4-1.
	Extended Extended
	// Metrics is section 5: the first metric leaves in document order.
	Metrics MetricsSnapshot
	// Charts are drawn from the submitted return series; nil without one.
	Charts *Charts
	// Override is section 6; nil when no override was ever recorded.
	Override *Override
	// ExPostFailures lists the failures recorded after validation.
	ExPostFailures []ExPostFailure
	// Benchmark is section 7; nil without benchmark data.
	Benchmark *Benchmark
	// Limitations is section 8.
	Limitations Limitations
	// History is the run's revision timeline (the audit trail).
	History []Revision
}

// Summary is section 0.
type Summary struct {
	// Status is the verdict upper-cased (PASS, WARN, FAIL), or the
	// lifecycle status (EVALUATING) before it.
	Status string
	// StatusClass is pass, warn, fail or pending, for styling.
	StatusClass string
	// Facts are the labelled values of the section, in order.
	Facts []Fact
	// Deciding are the results that decided the verdict (§9.1): the
	// failing blocking rules of a fail; the warnings and softer failures of
	// a warn; none for a pass.
	Deciding []RuleRow
	// Note is the verdict's note (a verdict reached without a policy or
	// with errors), "" when none.
	Note string
}

// Fact is a labelled value; Code marks values shown in monospace (ids,
// hashes).
type Fact struct {
	Label string
	Value string
	Code  bool
}

// Scope is section 1, from the model card.
type Scope struct {
	// Available is false when no model card is known.
	Available bool
	Scope     string // card scope or mission
	Objective string // objective, description or summary
	Universe  string // universe or asset_universe
}

// ModelSummary is section 2, from the model card (both spellings of
// validation-core §12.2 accepted).
type ModelSummary struct {
	// Card names the card version and its publication time, "" without a
	// card.
	Card        string
	Features    []string
	DataSources []string
	Assumptions []string
	Limitations []string
	// Extra are the card's other fields, by name.
	Extra []Fact
}

// Empty reports whether the card provides none of the section's fields.
func (m ModelSummary) Empty() bool {
	return len(m.Features)+len(m.DataSources)+len(m.Assumptions)+len(m.Limitations)+len(m.Extra) == 0
}

// Profile is section 3: what the verdict was reached under.
type Profile struct {
	Profile       string
	PolicyVersion string
	RulesetHash   string
	// OnError and OnMissingMetric are the effective validation modes.
	OnError         string
	OnMissingMetric string
	// Thresholds are the materialized thresholds.
	Thresholds []Threshold
	// Rules are the per-rule settings of the profile and the selection and
	// extended blocks (name, then its settings).
	Rules []Fact
	// Snapshot is false when the verdict recorded no policy snapshot.
	Snapshot bool
}

// Threshold is one materialized threshold.
type Threshold struct {
	Key    string
	Metric string
	Min    string
	Max    string
	// Value is the run's value of the metric, "n/a" when absent.
	Value string
	// Breached tells whether the value violates the bounds (or is
	// missing).
	Breached bool
}

// RuleRow is one rule result.
type RuleRow struct {
	Rule       string
	Status     string // pass, warn, fail or another recorded value
	Severity   string
	Owner      string
	ReasonCode string
	Reason     string // the reason, else the reason code
	Tags       []string
	// Violations are the threshold violations of details.violations.
	Violations []Violation
	// Details are the result's non-null details other than violations,
	// rendered compactly.
	Details []Fact
}

// Violation is one entry of details.violations.
type Violation struct {
	Metric string
	Reason string // below_min, above_max, missing_metric
	Value  string
	Bound  string // "≥ 0.05", "≤ 0.25", "present"
}

// Extended is section 4-1.
type Extended struct {
	// Rows are the results named or tagged cohort, portfolio, stress or
	// live_monitoring.
	Rows []RuleRow
	// Revision and EvaluatedAt describe the latest extended merge; zero
	// and "" when none.
	Revision    int
	EvaluatedAt string
	// Summary is the recorded extended summary (compact JSON), "" when
	// none.
	Summary string
	// Passes lists every extended evaluation: revision, time and the
	// status of each extended rule.
	Passes []ExtendedPass
}

// ExtendedPass is one entry of validation.extended_history.
type ExtendedPass struct {
	Revision    int
	EvaluatedAt string
	Statuses    []Fact
}

// MetricsSnapshot is section 5.
type MetricsSnapshot struct {
	// Leaves are the first numeric or string leaves in document order.
	Leaves []Fact
	// More counts the leaves not shown.
	More int
}

// Charts are the series drawn from the submitted returns (net of the
// transaction cost, as the metrics are).
type Charts struct {
	// N is the number of cleaned returns.
	N int
	// Equity is cumulative net return per period; Drawdown its distance
	// below the running peak (≤ 0, the peak starting at 0).
	Equity   []float64
	Drawdown []float64
	// RollingSharpe is the per-period Sharpe of excess returns over the
	// trailing Window periods, from period Window on; nil when the series
	// is too short.
	RollingSharpe []float64
	Window        int
	// PeriodsPerYear annotates the axes.
	PeriodsPerYear float64
	// MaxDrawdown and FinalEquity summarize the curves.
	MaxDrawdown float64
	FinalEquity float64
}

// Override is section 6.
type Override struct {
	Status    string
	Reason    string
	Actor     string
	Timestamp string
	// ReviewDue is the re-review due date of an approval, "" when none.
	ReviewDue string
	// Active is true unless the latest override status is none.
	Active bool
	// Changes are the override revisions of the history, oldest first.
	Changes []OverrideChange
}

// OverrideChange is one recorded override decision.
type OverrideChange struct {
	Revision   int
	RecordedAt string
	Status     string
	Reason     string
	Actor      string
	Timestamp  string
}

// ExPostFailure is one recorded ex-post failure (validation-core §10.2).
type ExPostFailure struct {
	CaseID, Status, Category, ReasonCode, Severity string
	Actor, RecordedAt, Source, EvidenceURL, Notes  string
}

// Benchmark is section 7: strategy against benchmark.
type Benchmark struct {
	// Note says what the section compares when that is not a benchmark
	// series (only comparison extras), "" otherwise.
	Note string
	Rows []BenchmarkRow
	// Extras are the comparison extras (benchmark_sharpe,
	// vs_benchmark_sharpe, portfolio_sharpe_uplift) present.
	Extras []Fact
}

// BenchmarkRow compares one measure.
type BenchmarkRow struct {
	Measure   string
	Strategy  string
	Benchmark string
	Diff      string
}

// Limitations is section 8.
type Limitations struct {
	RecommendedStage string
	// Known are the model card's limitations.
	Known []string
	// ExtendedDetails are each extended rule's non-null details.
	ExtendedDetails []RuleRow
	// Recommendations are what the record implies for the next step.
	Recommendations []string
}

// Revision is one entry of the revision history.
type Revision struct {
	Revision   int
	RecordedAt string
	// Change says what the revision recorded.
	Change string
	Status string
}
