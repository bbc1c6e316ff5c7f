package projections

import (
	"encoding/json"

	"github.com/worldval/worldval/events"
)

// Lifecycle statuses of a run (validation-core §2.4), the values of
// [RunView].Status and of [ListQuery].Status.
const (
	// StatusEvaluating is a run submitted and not yet evaluated.
	StatusEvaluating = "evaluating"
	// StatusEvaluated is a run whose core evaluation is recorded.
	StatusEvaluated = "evaluated"
)

// RunView is the full record of one evaluation run (validation-core §2.2) as
// the API returns it, without the response-only links. It encodes to the
// JSON shape of the spec; a field that is null in the spec is a nil pointer
// here.
type RunView struct {
	// WorldID, StrategyID and RunID are the run's identity (§2.1).
	WorldID    string `json:"world_id"`
	StrategyID string `json:"strategy_id"` // See WorldID.
	RunID      string `json:"run_id"`      // See WorldID.
	// Stage is the normalized stage of the submission.
	Stage string `json:"stage"`
	// RiskTier is the normalized risk tier of the submission.
	RiskTier string `json:"risk_tier"`
	// ModelCardVersion is the model card version of the submission, null
	// when it named none.
	ModelCardVersion *string `json:"model_card_version"`
	// Status is [StatusEvaluating] or [StatusEvaluated].
	Status string `json:"status"`
	// Metrics is the metrics document: as submitted until MetricsComputed,
	// then as computed, with diagnostics.validation_health from the
	// verdict and later extended-layer patches merged in. Never null: {}
	// when nothing was submitted.
	Metrics json.RawMessage `json:"metrics"`
	// Validation holds the policy reference and the rule results.
	Validation Validation `json:"validation"`
	// Summary holds the verdict and the later human annotations.
	Summary Summary `json:"summary"`
	// CreatedAt is when the run was submitted (UTC, seconds, "Z").
	CreatedAt string `json:"created_at"`
	// UpdatedAt is when the run last changed (validation-core §2.5).
	UpdatedAt string `json:"updated_at"`
	// Revision is the number of the run's latest history revision (1 for
	// the submission).
	Revision int `json:"revision"`
}

// Validation is the validation block of a run.
type Validation struct {
	// PolicyVersion is the decimal policy version the verdict used
	// (validation-core §9.4), null before the verdict or without a policy.
	PolicyVersion *string `json:"policy_version"`
	// RulesetHash is the hash of the ruleset the verdict used.
	RulesetHash *string `json:"ruleset_hash"`
	// Profile is the validation profile the verdict used.
	Profile *string `json:"profile"`
	// Results maps rule names to RuleResults in §7.10 order.
	Results RuleResults `json:"results"`
	// ExtendedRevision counts merged extended-layer evaluations (absent
	// before the first).
	ExtendedRevision int `json:"extended_revision,omitempty"`
	// ExtendedEvaluatedAt is when the latest extended evaluation ran.
	ExtendedEvaluatedAt string `json:"extended_evaluated_at,omitempty"`
	// ExtendedHistory lists every extended evaluation with its full merged
	// results.
	ExtendedHistory []ExtendedEntry `json:"extended_history,omitempty"`
	// ExtendedSummary is the worst status over blocking extended results
	// (risk-hub O6), as recorded.
	ExtendedSummary json.RawMessage `json:"extended_summary,omitempty"`
}

// ExtendedEntry is one entry of validation.extended_history.
type ExtendedEntry struct {
	// Revision is the extended revision, from 1.
	Revision int `json:"revision"`
	// EvaluatedAt is when the extended layers ran (UTC, seconds, "Z").
	EvaluatedAt string `json:"evaluated_at"`
	// Results are the full merged results after this evaluation.
	Results RuleResults `json:"results"`
}

// Summary is the summary block of a run. Before the verdict it holds at
// most the campaign id; the verdict adds status, recommended stage, active
// and active set; overrides and ex-post failures add their fields.
type Summary struct {
	// Status is the verdict: pass, warn or fail.
	Status string `json:"status,omitempty"`
	// RecommendedStage is omitted when null (validation-core §9.2).
	RecommendedStage string `json:"recommended_stage,omitempty"`
	// Active tells whether the strategy was selected; absent before the
	// verdict.
	Active *bool `json:"active,omitempty"`
	// ActiveSet is the selected set of the evaluation; absent before the
	// verdict, [] when nothing was selected.
	ActiveSet []string `json:"active_set,omitzero"`
	// CampaignID is the cohort campaign of the submission, if any.
	CampaignID string `json:"campaign_id,omitempty"`
	// Note explains a verdict reached without a policy or with errors.
	Note string `json:"note,omitempty"`
	// Override holds the override fields once an override was recorded.
	*Override
	// ExPostFailures is the append-only log of validation-core §10.2.
	ExPostFailures []events.ExPostFailureRecorded `json:"ex_post_failures,omitempty"`
}

// Override is the override fields of a summary (validation-core §10.1).
// Reason and actor are null when the latest override did not give them.
type Override struct {
	// OverrideStatus is approved, rejected or none, as recorded.
	OverrideStatus string `json:"override_status"`
	// OverrideReason is the reason given, null when none.
	OverrideReason *string `json:"override_reason"`
	// OverrideActor is who decided, null when not given.
	OverrideActor *string `json:"override_actor"`
	// OverrideTimestamp is the timestamp as the caller gave it, or the
	// event time (UTC, seconds, "Z") when it gave none.
	OverrideTimestamp string `json:"override_timestamp"`
}

// HistoryEntry is one revision of a run (validation-core §2.5): the full
// snapshot after one change.
type HistoryEntry struct {
	// Revision is 1-based and gap-free per run.
	Revision int `json:"revision"`
	// RecordedAt is when the event store accepted the change, with the
	// store's full precision (RFC 3339, nanoseconds, UTC), so that an as-of
	// query at exactly this instant includes the revision.
	RecordedAt string `json:"recorded_at"`
	// Payload is the run as it was after the change.
	Payload RunView `json:"payload"`
}
