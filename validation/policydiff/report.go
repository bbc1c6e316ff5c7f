package policydiff

// Report is the outcome of a policy diff (validation-core §11.3), with the
// gate decision of §11.4. It encodes to the JSON shape of the spec plus the
// additive fields documented on each member.
type Report struct {
	// OldPolicyVersion and NewPolicyVersion are the policies' version
	// labels, null when unknown.
	OldPolicyVersion *string `json:"old_policy_version"`
	NewPolicyVersion *string `json:"new_policy_version"` // See OldPolicyVersion.
	// OldRulesetHash and NewRulesetHash are the ruleset hashes the two
	// evaluations recorded at Stage.
	OldRulesetHash string `json:"old_ruleset_hash"`
	NewRulesetHash string `json:"new_ruleset_hash"` // See OldRulesetHash.
	// OldProfile and NewProfile are the validation profiles chosen for
	// Stage, null when a policy has none (additive).
	OldProfile *string `json:"old_profile"`
	NewProfile *string `json:"new_profile"` // See OldProfile.
	// Stage is the stage both policies were evaluated for (additive).
	Stage string `json:"stage"`
	// TotalStrategies is the number of distinct strategies (or
	// strategy@run keys) evaluated.
	TotalStrategies int `json:"total_strategies"`
	// StrategiesAffected is the number of strategies with any change.
	StrategiesAffected int `json:"strategies_affected"`
	// SelectionChanges, StageChanges and StatusChanges count the
	// strategies with that kind of change; StageChanges counts every
	// strategy when the evaluation-level recommended stage changes.
	SelectionChanges int `json:"selection_changes"`
	StageChanges     int `json:"stage_changes"`  // See SelectionChanges.
	StatusChanges    int `json:"status_changes"` // See SelectionChanges.
	// RuleStatusChanges is the total number of changed rule statuses.
	RuleStatusChanges int `json:"rule_status_changes"`
	// StatusTransitions counts the strategies per severity-blind status
	// change, keyed "old→new" with "null" for an absent status (additive).
	StatusTransitions map[string]int `json:"status_transitions"`
	// ImpactRatio is StrategiesAffected / TotalStrategies, 0 when there
	// are no strategies.
	ImpactRatio float64 `json:"impact_ratio"`
	// FailImpactRatio is the gate threshold (additive).
	FailImpactRatio float64 `json:"fail_impact_ratio"`
	// GateFailed is true when ImpactRatio ≥ FailImpactRatio (§11.4, the
	// normative comparison; additive).
	GateFailed bool `json:"gate_failed"`
	// ManualReview is true when ImpactRatio is above 5 %, the level the
	// Markdown report flags for manual review (§11.4; additive).
	ManualReview bool `json:"manual_review"`
	// Timestamp is when the diff was computed (RFC 3339, UTC), as the
	// caller gave it.
	Timestamp string `json:"timestamp"`
	// TopOffenders are the most significant changes, ordered as in
	// §11.6 (additive).
	TopOffenders []Offender `json:"top_offenders"`
	// Diffs are the changed strategies only, in input order.
	Diffs []StrategyDiff `json:"diffs"`
}

// StrategyDiff is one strategy's comparison (validation-core §11.2).
type StrategyDiff struct {
	// StrategyID is the strategy; Key is the diff key (the strategy id,
	// or strategy@run_id when every run is kept).
	StrategyID string `json:"strategy_id"`
	// RunID is the run that was re-evaluated (additive).
	RunID string `json:"run_id,omitempty"`
	// Key is the diff key (additive).
	Key string `json:"key"`
	// OldSelected and NewSelected tell whether the strategy was in the
	// selected set of each evaluation.
	OldSelected bool `json:"old_selected"`
	NewSelected bool `json:"new_selected"` // See OldSelected.
	// OldRecommendedStage and NewRecommendedStage are the
	// evaluation-level recommended stages, null when none applies.
	OldRecommendedStage *string `json:"old_recommended_stage"`
	NewRecommendedStage *string `json:"new_recommended_stage"` // See OldRecommendedStage.
	// OldStatus and NewStatus are the severity-blind statuses: fail if
	// any result fails, else warn if any warns, else pass; null without
	// results.
	OldStatus *string `json:"old_status"`
	NewStatus *string `json:"new_status"` // See OldStatus.
	// OldSummaryStatus and NewSummaryStatus are the §9.1 statuses, which
	// honour severity (additive, §15 item 24).
	OldSummaryStatus string `json:"old_summary_status"`
	NewSummaryStatus string `json:"new_summary_status"` // See OldSummaryStatus.
	// RuleChanges lists the rules whose status differs, by rule name.
	RuleChanges []RuleChange `json:"rule_changes"`
	// Change is tightened (the status rank rose: pass=0, warn=1, fail=2),
	// relaxed (it fell) or other (additive, §11.6).
	Change string `json:"change"`
	// HasChanges is true when selection, stage, status or any rule status
	// changed.
	HasChanges bool `json:"has_changes"`
}

// RuleChange is one rule whose status differs between the evaluations; a
// side without the rule has null status, reason and reason code.
type RuleChange struct {
	// Rule is the rule name.
	Rule string `json:"rule"`
	// OldStatus and NewStatus are the rule's statuses.
	OldStatus *string `json:"old_status"`
	NewStatus *string `json:"new_status"` // See OldStatus.
	// OldReason and NewReason are the human-readable reasons.
	OldReason *string `json:"old_reason"`
	NewReason *string `json:"new_reason"` // See OldReason.
	// OldReasonCode and NewReasonCode are the machine-readable reasons.
	OldReasonCode *string `json:"old_reason_code"`
	NewReasonCode *string `json:"new_reason_code"` // See OldReasonCode.
}

// Offender is one entry of Report.TopOffenders.
type Offender struct {
	// Key, StrategyID and RunID identify the run.
	Key        string `json:"key"`
	StrategyID string `json:"strategy_id"`      // See Key.
	RunID      string `json:"run_id,omitempty"` // See Key.
	// Change is tightened, relaxed or other.
	Change string `json:"change"`
	// OldStatus and NewStatus are the severity-blind statuses.
	OldStatus *string `json:"old_status"`
	NewStatus *string `json:"new_status"` // See OldStatus.
	// RuleChanges is the number of changed rule statuses.
	RuleChanges int `json:"rule_changes"`
}

// Change labels of [StrategyDiff].Change.
const (
	// Tightened means the new policy judges the strategy more severely.
	Tightened = "tightened"
	// Relaxed means the new policy judges the strategy less severely.
	Relaxed = "relaxed"
	// Other means the status rank did not change (selection, stage or rule
	// details did).
	Other = "other"
)
