package rules

import "github.com/worldval/worldval/validation/metrics"

// Input is the evaluation of one strategy (validation-core §7.1): a set of
// one, for which top-k, correlation and cohort checks degenerate.
type Input struct {
	// WorldID identifies the world; carried for the caller, not used by
	// the rules.
	WorldID string
	// StrategyID identifies the strategy (active_set, correlations,
	// hysteresis).
	StrategyID string
	// RunID identifies the run; carried for the caller.
	RunID string
	// Stage is the request stage as given ("" = none); it drives profile
	// choice, recommended_stage and paper/shadow applicability.
	Stage string
	// RiskTier is the run's risk tier label; informational.
	RiskTier string
	// PolicyVersion is recorded as validation.policy_version ("" = null);
	// see policy.Resolve.
	PolicyVersion string
	// FailClosed forces on_error and on_missing_metric to fail before
	// evaluation and hashing (high-tier critical worlds, §6.7).
	FailClosed bool
	// Metrics is the run's metrics document after derivation and
	// evaluate-time enrichment.
	Metrics map[string]any
	// Flat optionally carries metrics.Flatten(Metrics) when the caller has
	// it already; Evaluate computes it when nil. The outcome refers to it
	// (data_currency's available_metrics), so it must not be modified
	// afterwards.
	Flat *metrics.Flat
	// Previous is the previously active set, for hysteresis.
	Previous []string
	// Correlations are pairwise correlations for the correlation
	// constraint.
	Correlations []Correlation
}

// Candidate is one strategy of a set evaluation.
type Candidate struct {
	// StrategyID identifies the strategy; ids should be unique (a repeated
	// id keeps its first position and its last metrics).
	StrategyID string
	// Metrics is the strategy's metrics document.
	Metrics map[string]any
	// Flat optionally carries metrics.Flatten(Metrics); as for Input.Flat,
	// it must not be modified afterwards.
	Flat *metrics.Flat
}

// SetInput is the evaluation of several strategies at once (cohort
// evaluations, policy diffs): top-k, correlation and cohort checks act across
// the set.
type SetInput struct {
	// Stage is the request stage ("" = none).
	Stage string
	// PolicyVersion is recorded as validation.policy_version ("" = null).
	PolicyVersion string
	// FailClosed forces fail-closed validation modes (§6.7).
	FailClosed bool
	// Candidates are the strategies in scope, in input order.
	Candidates []Candidate
	// Previous is the previously active set, for hysteresis.
	Previous []string
	// Correlations are pairwise correlations (unordered pairs; a later
	// duplicate wins).
	Correlations []Correlation
}

// Correlation is the correlation of two strategies' returns.
type Correlation struct {
	// A is one strategy id.
	A string `json:"a"`
	// B is the other strategy id (the pair is unordered).
	B string `json:"b"`
	// Rho is the correlation coefficient.
	Rho float64 `json:"rho"`
}
