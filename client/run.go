package client

import (
	"encoding/json"
	"net/url"
	"time"
)

// Run statuses ([Run].Status).
const (
	// StatusEvaluating is a run submitted and not yet evaluated.
	StatusEvaluating = "evaluating"
	// StatusEvaluated is a run with a verdict.
	StatusEvaluated = "evaluated"
)

// Verdicts ([Summary].Status) and the status of one rule's result.
const (
	VerdictPass = "pass" // every rule passed
	VerdictWarn = "warn" // a rule warned, or a soft or info rule failed
	VerdictFail = "fail" // a blocking rule failed
)

// RunRef names one evaluation run.
type RunRef struct {
	// WorldID, StrategyID and RunID identify the run.
	WorldID    string
	StrategyID string // See WorldID.
	RunID      string // See WorldID.
}

// String renders the reference as WORLD/STRATEGY/RUN.
func (r RunRef) String() string { return r.WorldID + "/" + r.StrategyID + "/" + r.RunID }

// path returns the escaped path of the run's resource, with more segments
// (already escaped) appended.
func (r RunRef) path(more ...string) string {
	return worldPath(r.WorldID, append([]string{"strategies", url.PathEscape(r.StrategyID), "runs", url.PathEscape(r.RunID)}, more...)...)
}

// RunLinks are the paths of a run's resources, relative to the base URL.
type RunLinks struct {
	// Self is the run; Metrics its verdict; History its revisions.
	Self    string `json:"self"`
	Metrics string `json:"metrics"` // See Self.
	History string `json:"history"` // See Self.
}

// Run is an evaluation run as the service records it: identity, stage,
// status, the metrics document, the rule results and the verdict.
type Run struct {
	// WorldID, StrategyID and RunID identify the run.
	WorldID    string `json:"world_id"`
	StrategyID string `json:"strategy_id"` // See WorldID.
	RunID      string `json:"run_id"`      // See WorldID.
	// Stage is the normalized stage of the submission.
	Stage string `json:"stage"`
	// RiskTier is the normalized risk tier of the submission.
	RiskTier string `json:"risk_tier"`
	// ModelCardVersion is the submission's model card version, nil when
	// none was given.
	ModelCardVersion *string `json:"model_card_version"`
	// Status is [StatusEvaluating] or [StatusEvaluated].
	Status string `json:"status"`
	// Metrics is the metrics document: as submitted until the verdict,
	// then as computed.
	Metrics json.RawMessage `json:"metrics"`
	// Validation holds the policy reference and the rule results.
	Validation Validation `json:"validation"`
	// Summary holds the verdict.
	Summary Summary `json:"summary"`
	// CreatedAt is when the run was submitted (second precision).
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when the run last changed (second precision).
	UpdatedAt time.Time `json:"updated_at"`
	// Revision is the number of the run's latest history revision.
	Revision int `json:"revision"`
	// Links are the paths of the run's resources.
	Links RunLinks `json:"links"`
}

// Ref returns the run's reference.
func (r *Run) Ref() RunRef {
	return RunRef{WorldID: r.WorldID, StrategyID: r.StrategyID, RunID: r.RunID}
}

// RunMetrics is the verdict of an evaluated run, as GET
// …/runs/{run}/metrics answers it.
type RunMetrics struct {
	// WorldID, StrategyID and RunID identify the run.
	WorldID    string `json:"world_id"`
	StrategyID string `json:"strategy_id"` // See WorldID.
	RunID      string `json:"run_id"`      // See WorldID.
	// Status is [StatusEvaluated].
	Status string `json:"status"`
	// Stage and RiskTier are the submission's, normalized.
	Stage    string `json:"stage"`
	RiskTier string `json:"risk_tier"` // See Stage.
	// Metrics is the computed metrics document.
	Metrics json.RawMessage `json:"metrics"`
	// Validation holds the policy version, ruleset hash, profile and the
	// rule results that decided the verdict.
	Validation Validation `json:"validation"`
	// Summary holds the verdict and the recommended stage.
	Summary Summary `json:"summary"`
	// CreatedAt is when the run was submitted, UpdatedAt when it last
	// changed (second precision).
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"` // See CreatedAt.
	// Links are the paths of the run's resources.
	Links RunLinks `json:"links"`
}

// Ref returns the run's reference.
func (m *RunMetrics) Ref() RunRef {
	return RunRef{WorldID: m.WorldID, StrategyID: m.StrategyID, RunID: m.RunID}
}

// Validation is the validation block of a run.
type Validation struct {
	// PolicyVersion is the decimal policy version the verdict used, nil
	// before the verdict or without a policy.
	PolicyVersion *string `json:"policy_version"`
	// RulesetHash is the hash of the ruleset the verdict used.
	RulesetHash *string `json:"ruleset_hash"`
	// Profile is the validation profile the verdict used.
	Profile *string `json:"profile"`
	// Results are the rule results in the service's rule order.
	Results RuleResults `json:"results"`
	// ExtendedRevision counts merged extended-layer evaluations.
	ExtendedRevision int `json:"extended_revision,omitempty"`
	// ExtendedEvaluatedAt is when the latest extended evaluation ran.
	ExtendedEvaluatedAt string `json:"extended_evaluated_at,omitempty"`
	// ExtendedHistory lists the extended evaluations, as recorded.
	ExtendedHistory json.RawMessage `json:"extended_history,omitempty"`
	// ExtendedSummary is the worst status over blocking extended results.
	ExtendedSummary json.RawMessage `json:"extended_summary,omitempty"`
}

// Summary is the summary block of a run: the verdict once there is one, and
// later annotations.
type Summary struct {
	// Status is the verdict: [VerdictPass], [VerdictWarn] or [VerdictFail];
	// empty before the verdict.
	Status string `json:"status,omitempty"`
	// RecommendedStage is how far the strategy may go: backtest_only,
	// paper_only or paper_ok_live_candidate.
	RecommendedStage string `json:"recommended_stage,omitempty"`
	// Active tells whether the strategy was selected; nil before the
	// verdict.
	Active *bool `json:"active,omitempty"`
	// ActiveSet is the selected set of the evaluation.
	ActiveSet []string `json:"active_set,omitempty"`
	// CampaignID is the cohort campaign of the submission, if any.
	CampaignID string `json:"campaign_id,omitempty"`
	// Note explains a verdict reached without a policy or with errors.
	Note string `json:"note,omitempty"`
	// OverrideStatus and the other override fields are set once a human
	// override was recorded.
	OverrideStatus    string  `json:"override_status,omitempty"`
	OverrideReason    *string `json:"override_reason,omitempty"`    // See OverrideStatus.
	OverrideActor     *string `json:"override_actor,omitempty"`     // See OverrideStatus.
	OverrideTimestamp string  `json:"override_timestamp,omitempty"` // See OverrideStatus.
	// ExPostFailures is the log of failures recorded after the verdict.
	ExPostFailures json.RawMessage `json:"ex_post_failures,omitempty"`
}

// HistoryEntry is one revision of a run: the whole run after one change.
type HistoryEntry struct {
	// Revision counts from 1, without gaps.
	Revision int `json:"revision"`
	// RecordedAt is when the service stored the change, to the
	// nanosecond; reading the run [AsOf] this instant includes the
	// revision.
	RecordedAt time.Time `json:"recorded_at"`
	// Payload is the run as it was after the change (without links).
	Payload Run `json:"payload"`
}

// RunPage is one page of a run listing.
type RunPage struct {
	// WorldID is the world listed.
	WorldID string `json:"world_id"`
	// Runs are in submission order.
	Runs []Run `json:"runs"`
	// NextCursor continues the listing; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}
