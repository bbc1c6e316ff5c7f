package invariants

// Report is the invariant report of one world (validation-core §10.7). Every
// list is present (empty, not null) so that the JSON shape is fixed; OK is
// true exactly when all five are empty, so any approved override makes it
// false.
type Report struct {
	// OK tells whether the world violates nothing and has no approved
	// override awaiting re-review.
	OK bool `json:"ok"`
	// LiveStatusFailures are the latest live runs that do not pass
	// (Invariant 1).
	LiveStatusFailures []LiveStatusFailure `json:"live_status_failures"`
	// LivePolicyVersionMismatches are the latest live runs evaluated under
	// a policy older than the world's default (Invariant 1).
	LivePolicyVersionMismatches []PolicyVersionMismatch `json:"live_policy_version_mismatches"`
	// FailClosedViolations holds the world when it is high-tier critical
	// and its validation block is not fail-closed (Invariant 2).
	FailClosedViolations []FailClosedViolation `json:"fail_closed_violations"`
	// ApprovedOverrides lists every run whose override is approved, for
	// re-review (Invariant 3).
	ApprovedOverrides []ApprovedOverride `json:"approved_overrides"`
	// ValidationHealthGaps lists recorded validation health that differs
	// from what the run's metrics and results give (§10.6).
	ValidationHealthGaps []HealthGap `json:"validation_health_gaps"`
}

// LiveStatusFailure is a latest live run whose summary status is not pass.
type LiveStatusFailure struct {
	// WorldID, StrategyID and RunID identify the run.
	WorldID    string `json:"world_id"`
	StrategyID string `json:"strategy_id"` // See WorldID.
	RunID      string `json:"run_id"`      // See WorldID.
	// Status is the run's summary status as recorded, null when it has
	// none.
	Status *string `json:"status"`
}

// PolicyVersionMismatch is a latest live run whose policy version is absent
// or below the world's default policy version.
type PolicyVersionMismatch struct {
	// WorldID, StrategyID and RunID identify the run.
	WorldID    string `json:"world_id"`
	StrategyID string `json:"strategy_id"` // See WorldID.
	RunID      string `json:"run_id"`      // See WorldID.
	// PolicyVersion is the run's validation.policy_version as recorded,
	// null when absent.
	PolicyVersion *string `json:"policy_version"`
	// RequiredPolicyVersion is the world's default policy version.
	RequiredPolicyVersion int `json:"required_policy_version"`
}

// FailClosedViolation is a high-tier critical world whose validation block
// does not set both modes to fail.
type FailClosedViolation struct {
	// WorldID is the world.
	WorldID string `json:"world_id"`
	// OnError is the world's validation.on_error, lower-cased, or "<unset>".
	OnError string `json:"on_error"`
	// OnMissingMetric is the world's validation.on_missing_metric,
	// lower-cased, or "<unset>".
	OnMissingMetric string `json:"on_missing_metric"`
}

// ApprovedOverride is a run whose override is approved, with its re-review
// due date.
type ApprovedOverride struct {
	// WorldID, StrategyID and RunID identify the run.
	WorldID    string `json:"world_id"`
	StrategyID string `json:"strategy_id"` // See WorldID.
	RunID      string `json:"run_id"`      // See WorldID.
	// Stage is the run's stage, which with the world's tier sets the
	// review window.
	Stage string `json:"stage"`
	// OverrideReason, OverrideActor and OverrideTimestamp are as recorded;
	// null when absent.
	OverrideReason    *string `json:"override_reason"`
	OverrideActor     *string `json:"override_actor"`     // See OverrideReason.
	OverrideTimestamp *string `json:"override_timestamp"` // See OverrideReason.
	// ReviewWindowDays is 30 or 90 (see [ReviewWindow]).
	ReviewWindowDays int `json:"review_window_days"`
	// ReviewDueAt is the override timestamp plus the window (UTC, seconds,
	// "Z"); null when the timestamp is absent or unparseable.
	ReviewDueAt *string `json:"review_due_at"`
	// ReviewOverdue tells whether the due date has passed; null when
	// ReviewDueAt is.
	ReviewOverdue *bool `json:"review_overdue"`
	// MissingFields lists, in this order, those of override_reason,
	// override_actor and override_timestamp that are empty.
	MissingFields []string `json:"missing_fields"`
}

// HealthGap is one validation-health value whose recorded value differs
// from the expected one.
type HealthGap struct {
	// WorldID, StrategyID and RunID identify the run.
	WorldID    string `json:"world_id"`
	StrategyID string `json:"strategy_id"` // See WorldID.
	RunID      string `json:"run_id"`      // See WorldID.
	// Metric is metric_coverage_ratio, rules_executed_ratio or
	// validation_error_count.
	Metric string `json:"metric"`
	// Expected is the value recomputed from the run's metrics and results.
	Expected float64 `json:"expected"`
	// Recorded is the value in metrics.diagnostics.validation_health as
	// recorded (any JSON value), null when absent.
	Recorded any `json:"recorded"`
}
