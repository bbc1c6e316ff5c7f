package rules

import "encoding/json"

// Outcome is everything the evaluation of one strategy contributes to its
// EvaluationRun: the validation block, the summary block and the validation
// health to merge into metrics.diagnostics.
type Outcome struct {
	// Validation is the run's validation block.
	Validation Validation `json:"validation"`
	// Summary is the run's summary block.
	Summary Summary `json:"summary"`
	// Health is written to metrics.diagnostics.validation_health (see
	// [AttachHealth]).
	Health Health `json:"validation_health"`
}

// Validation is the run's validation block (validation-core §2.2, §9.4–§9.5).
type Validation struct {
	// PolicyVersion is the evaluated policy's version, or null.
	PolicyVersion *string `json:"policy_version"`
	// RulesetHash is "blake3:" + 64 hex digits (CD1).
	RulesetHash string `json:"ruleset_hash"`
	// Profile is the chosen validation profile, or null.
	Profile *string `json:"profile"`
	// Results are the rule results in rule order.
	Results Results `json:"results"`
	// PolicySnapshot is the canonical (RFC 8785) rule set the hash covers.
	PolicySnapshot json.RawMessage `json:"policy_snapshot,omitempty"`
}

// Summary is the run's verdict (validation-core §9.1–§9.3).
type Summary struct {
	// Status is pass, warn or fail.
	Status Status `json:"status"`
	// RecommendedStage is backtest_only, paper_only or
	// paper_ok_live_candidate; empty (omitted) when none applies.
	RecommendedStage string `json:"recommended_stage,omitempty"`
	// Active reports whether the strategy is in the selected set.
	Active bool `json:"active"`
	// ActiveSet is the whole selected set of the evaluation.
	ActiveSet []string `json:"active_set"`
}

// SetOutcome is the result of a set evaluation.
type SetOutcome struct {
	// Profile is the chosen profile, or nil.
	Profile *string
	// RulesetHash is the evaluation's ruleset hash.
	RulesetHash string
	// PolicySnapshot is the canonical rule set the hash covers.
	PolicySnapshot json.RawMessage
	// PolicyVersion is the recorded policy version, or nil.
	PolicyVersion *string
	// RecommendedStage is the evaluation-level recommended stage computed
	// from the request stage alone ("" = null).
	RecommendedStage string
	// Selected is the selected set, in selection order.
	Selected []string
	// Strategies holds each candidate's outcome, in input order.
	Strategies []StrategyOutcome
}

// StrategyOutcome is one candidate's share of a set evaluation.
type StrategyOutcome struct {
	// StrategyID identifies the candidate.
	StrategyID string
	Outcome
}
