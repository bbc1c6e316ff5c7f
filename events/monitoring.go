package events

import (
	"encoding/json"
	"fmt"
)

// Event types of the extended-validation, live-monitoring and exit streams
// (risk-hub spec §8.3): cohort/{world}/{stage} or campaign/{world}/{campaign},
// live-monitoring/{world} and exit-signal/{world}.
const (
	TypeCohortEvaluated         = "CohortEvaluated"
	TypeLiveMonitoringEvaluated = "LiveMonitoringEvaluated"
	TypeDemotionCandidateTagged = "DemotionCandidateTagged"
	TypeExitSignalEmitted       = "ExitSignalEmitted"
)

// Trigger names the event or message that caused an extended-validation
// pass; its idempotency key is the dedupe key of the pass (spec §8.5).
type Trigger struct {
	EventType      string `json:"event_type"`
	EventID        string `json:"event_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key"`
}

// CohortMember is one run of a cohort: the latest run of a strategy in the
// stage (D15).
type CohortMember struct {
	StrategyID string `json:"strategy_id"`
	RunID      string `json:"run_id"`
}

// CohortEvaluated records one evaluation of a cohort (all latest runs of a
// world and stage, or of a campaign). Its values feed each member's
// ExtendedValidationCompleted.cohort_context.
type CohortEvaluated struct {
	WorldID    string `json:"world_id"`
	Stage      string `json:"stage"`
	CampaignID string `json:"campaign_id,omitempty"`
	// Members are in cohort order: run created_at ascending, then strategy id.
	Members []CohortMember `json:"members"`
	// MedianSharpe is the median Sharpe over members with one; null when none.
	MedianSharpe *float64 `json:"median_sharpe"`
	// MedianDSR is the median deflated Sharpe ratio; null when none.
	MedianDSR *float64 `json:"median_dsr"`
	// TopK is the policy's cohort.top_k; null when the policy sets none.
	TopK *int `json:"top_k"`
	// TopKSelected lists the strategy ids selected into the top k.
	TopKSelected  []string `json:"top_k_selected"`
	PolicyVersion int      `json:"policy_version"`
	Trigger       Trigger  `json:"trigger"`
}

// LiveStrategy is one strategy of a [LiveMonitoringEvaluated] pass.
type LiveStrategy struct {
	StrategyID string `json:"strategy_id"`
	RunID      string `json:"run_id"`
	// BacktestSharpe is returns.sharpe of the latest non-live run; null
	// when there is none.
	BacktestSharpe *float64 `json:"backtest_sharpe"`
	LiveReturnsLen int      `json:"live_returns_len"`
	// Aggregates holds the windowed live metrics of spec §3.7.1 and O18
	// (live_sharpe_p30, live_max_drawdown_p30, live_var_p01_p30, …,
	// live_vs_backtest_sharpe_ratio); a null value is undefined.
	Aggregates map[string]*float64 `json:"aggregates"`
}

// LiveMonitoringEvaluated records one live-monitoring pass over a world.
type LiveMonitoringEvaluated struct {
	AsOf     string      `json:"as_of"`
	Snapshot SnapshotRef `json:"snapshot"`
	// Windows are the window lengths in observations (default 30, 60, 90).
	Windows    []int          `json:"windows"`
	Strategies []LiveStrategy `json:"strategies"`
	// RuleResult is the world-level live_monitoring RuleResult.
	RuleResult    json.RawMessage `json:"rule_result"`
	PolicyVersion int             `json:"policy_version"`
}

// DemotionCandidateTagged records that a strategy's live monitoring failed
// and it is queued for a human demotion decision.
type DemotionCandidateTagged struct {
	StrategyID      string   `json:"strategy_id"`
	RunID           string   `json:"run_id"`
	AsOf            string   `json:"as_of"`
	ReasonCodes     []string `json:"reason_codes"`
	LiveSharpe      *float64 `json:"live_sharpe"`
	LiveMaxDrawdown *float64 `json:"live_max_drawdown"`
	DecayRatio      *float64 `json:"decay_ratio"`
	// Thresholds are the live_monitoring limits in force (sharpe_min,
	// dd_max, decay_threshold, es_max), only those the policy sets.
	Thresholds           map[string]float64 `json:"thresholds"`
	RequiresManualReview bool               `json:"requires_manual_review"`
}

// Exit actions of [ExitSignalEmitted.Action].
const (
	ExitActionExit   = "exit"
	ExitActionReduce = "reduce"
	ExitActionFreeze = "freeze"
	ExitActionDrain  = "drain"
)

// ExitSignalEmitted records an exit or reduction recommendation of the exit
// engine (spec §5). Only the gateway changes positions.
type ExitSignalEmitted struct {
	SignalID string `json:"signal_id"`
	WorldID  string `json:"world_id"`
	// StrategyID is the strategy concerned, or "*" for the whole world.
	StrategyID string `json:"strategy_id"`
	// Action is one of exit, reduce, freeze, drain.
	Action string `json:"action"`
	// ReductionRatio is in [0, 1].
	ReductionRatio float64 `json:"reduction_ratio"`
	RuleID         string  `json:"rule_id"`
	ReasonCode     string  `json:"reason_code"`
	Reason         string  `json:"reason"`
	Severity       string  `json:"severity"`
	// Metrics holds the triggering values and their limits.
	Metrics          json.RawMessage `json:"metrics"`
	Snapshot         SnapshotRef     `json:"snapshot"`
	EmittedAt        string          `json:"emitted_at"`
	ExpiresAt        string          `json:"expires_at,omitempty"`
	RequiresApproval bool            `json:"requires_approval"`
}

// LiveMonitoringKey is the idempotency key of a [LiveMonitoringEvaluated]
// event: live_monitoring:{world}:{as_of}:{policy_version}.
func LiveMonitoringKey(world, asOf string, policyVersion int) string {
	return fmt.Sprintf("live_monitoring:%s:%s:%d", world, asOf, policyVersion)
}

// DemotionKey is the idempotency key of a [DemotionCandidateTagged] event:
// demotion:{world}:{strategy}:{as_of}.
func DemotionKey(world, strategy, asOf string) string {
	return fmt.Sprintf("demotion:%s:%s:%s", world, strategy, asOf)
}

// ExitSignalKey is the idempotency key of an [ExitSignalEmitted] event:
// exit_signal:{world}:{strategy|*}:{snapshot_hash}:{rule_id}, so one snapshot
// yields at most one signal per rule and strategy.
func ExitSignalKey(world, strategy, snapshotHash, ruleID string) string {
	return fmt.Sprintf("exit_signal:%s:%s:%s:%s", world, strategy, snapshotHash, ruleID)
}
