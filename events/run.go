package events

import "encoding/json"

// Event types of the evaluation-run aggregate (stream evaluation-run/{world}/{strategy}/{run}).
const (
	TypeEvaluationRunSubmitted      = "EvaluationRunSubmitted"
	TypeMetricsComputed             = "MetricsComputed"
	TypeRuleEvaluated               = "RuleEvaluated"
	TypeEvaluationCompleted         = "EvaluationCompleted"
	TypeExtendedValidationCompleted = "ExtendedValidationCompleted"
	TypeOverrideRecorded            = "OverrideRecorded"
	TypeExPostFailureRecorded       = "ExPostFailureRecorded"
)

// EvaluationRunSubmitted records that a strategy runner asked for a run to be
// validated. It carries the request as received, so that the evaluation can be
// replayed and a re-submission compared with it.
type EvaluationRunSubmitted struct {
	WorldID          string `json:"world_id"`
	StrategyID       string `json:"strategy_id"`
	RunID            string `json:"run_id"`
	Stage            string `json:"stage"`
	RiskTier         string `json:"risk_tier"`
	ModelCardVersion string `json:"model_card_version,omitempty"`
	CampaignID       string `json:"campaign_id,omitempty"`
	// Metrics is the metrics document as submitted (EvaluationMetrics blocks).
	Metrics json.RawMessage `json:"metrics,omitempty"`
	// Returns is the per-period return series, if one was submitted; null
	// entries are kept as submitted.
	Returns ReturnSeries `json:"returns,omitempty"`
	// Params are the derivation parameters (periods per year, …) as submitted.
	Params json.RawMessage `json:"params,omitempty"`
	// PolicyVersion is the version the submission asked for; 0 means the
	// world's default at evaluation time.
	PolicyVersion int `json:"policy_version,omitempty"`
	// RequestHash is the SHA-256 of the canonical request; a re-submission
	// with another hash after evaluation is a conflict.
	RequestHash string `json:"request_hash"`
	SubmittedBy string `json:"submitted_by,omitempty"`
}

// MetricsComputed records the run's metrics after derivation from the return
// series and enrichment (submitted values always win).
type MetricsComputed struct {
	Metrics     json.RawMessage `json:"metrics"`
	Derivations []string        `json:"derivations,omitempty"`
	Inputs      json.RawMessage `json:"inputs,omitempty"`
}

// RuleEvaluated records the result of one core rule.
type RuleEvaluated struct {
	Rule          string          `json:"rule"`
	Result        json.RawMessage `json:"result"`
	PolicyVersion int             `json:"policy_version"`
	RulesetHash   string          `json:"ruleset_hash"`
	Profile       string          `json:"profile,omitempty"`
}

// EvaluationCompleted records the verdict of a run. After it the run's metrics
// and core results are immutable.
type EvaluationCompleted struct {
	Status           string          `json:"status"`
	RecommendedStage string          `json:"recommended_stage"`
	Active           bool            `json:"active"`
	ActiveSet        []string        `json:"active_set,omitempty"`
	PolicyVersion    int             `json:"policy_version"`
	RulesetHash      string          `json:"ruleset_hash"`
	Profile          string          `json:"profile,omitempty"`
	ValidationHealth json.RawMessage `json:"validation_health,omitempty"`
	// PolicySnapshot is the canonical (RFC 8785) rule set the ruleset hash
	// covers, kept so an auditor can re-hash it (validation-core §2.2).
	PolicySnapshot json.RawMessage `json:"policy_snapshot,omitempty"`
	// Note explains a verdict reached without a policy or with errors.
	Note string `json:"note,omitempty"`
}

// ExtendedValidationCompleted records the merge of extended-layer results
// (cohort, portfolio, stress, live monitoring) into a run.
type ExtendedValidationCompleted struct {
	ExtendedRevision int             `json:"extended_revision"`
	EvaluatedAt      string          `json:"evaluated_at"`
	Stage            string          `json:"stage"`
	Trigger          json.RawMessage `json:"trigger"`
	PolicyVersion    int             `json:"policy_version"`
	Snapshot         json.RawMessage `json:"snapshot,omitempty"`
	MetricsPatch     json.RawMessage `json:"metrics_patch,omitempty"`
	Results          json.RawMessage `json:"results"`
	MergedResults    json.RawMessage `json:"merged_results,omitempty"`
	CohortContext    json.RawMessage `json:"cohort_context,omitempty"`
	ExtendedSummary  json.RawMessage `json:"extended_summary,omitempty"`
}

// OverrideRecorded records a human decision on a run. It never changes the
// run's summary status.
type OverrideRecorded struct {
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	Actor     string `json:"actor,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
	ReviewDue string `json:"review_due,omitempty"`
	Revision  int    `json:"revision"`
}

// ExPostFailureRecorded appends to a run's log of failures seen after it
// passed validation.
type ExPostFailureRecorded struct {
	CaseID      string `json:"case_id,omitempty"`
	Status      string `json:"status"`
	Category    string `json:"category"`
	ReasonCode  string `json:"reason_code"`
	Severity    string `json:"severity,omitempty"`
	EvidenceURL string `json:"evidence_url,omitempty"`
	Actor       string `json:"actor"`
	RecordedAt  string `json:"recorded_at"`
	Source      string `json:"source"`
	Notes       string `json:"notes,omitempty"`
}
