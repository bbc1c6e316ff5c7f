package cloudevents

// Command types: the CloudEvents type of each command producers send. Each
// topic carries the types listed with it in docs/kafka.md; another type is
// dead-lettered as E_UNKNOWN_COMMAND.
const (
	// TypeSubmitEvaluationRun submits an evaluation run (topic
	// worldval.submissions); data is the body of POST
	// /worlds/{world}/evaluations plus world_id.
	TypeSubmitEvaluationRun = "submit_evaluation_run"
	// TypePublishPolicy publishes a world's next policy version (topic
	// worldval.policies); data is the policy document in JSON plus
	// world_id.
	TypePublishPolicy = "publish_policy"
	// TypeSetDefaultPolicy changes a world's default policy version (topic
	// worldval.policies); data is {"version": N} plus world_id.
	TypeSetDefaultPolicy = "set_default_policy"
	// TypeRecordOverride records an override of an evaluated run (topic
	// worldval.overrides); data is {strategy_id, run_id, status, reason?,
	// actor?, timestamp?} plus world_id (validation-core §10.1).
	TypeRecordOverride = "record_override"
	// TypeRiskSnapshotUpdated carries a portfolio risk snapshot (topic
	// worldval.risk-snapshots); data is the snapshot (risk-hub §2). The
	// outbox publishes recorded snapshots under the same type.
	TypeRiskSnapshotUpdated = "risk_snapshot_updated"
)

// Integration event types the outbox relay publishes on worldval.events
// (risk-hub §4.3, validation-core §14).
const (
	// TypeEvaluationRunCreated announces a run's verdict.
	TypeEvaluationRunCreated = "evaluation_run_created"
	// TypeEvaluationRunUpdated announces a change of an evaluated run:
	// data.change_type is override, ex_post_failure or
	// extended_validation.
	TypeEvaluationRunUpdated = "evaluation_run_updated"
	// TypePolicyUpdated announces a new policy version.
	TypePolicyUpdated = "policy_updated"
	// TypeValidationProfileChanged announces a change of a world's default
	// policy version.
	TypeValidationProfileChanged = "validation_profile_changed"
	// TypeExitSignalEmitted announces an exit signal of the exit engine.
	TypeExitSignalEmitted = "exit_signal_emitted"
)

// Change types of [TypeEvaluationRunUpdated].
const (
	ChangeOverride           = "override"
	ChangeExPostFailure      = "ex_post_failure"
	ChangeExtendedValidation = "extended_validation"
)
