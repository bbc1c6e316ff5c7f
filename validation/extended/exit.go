package extended

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/worldval/worldval/validation/rules"
)

// Exit rule ids (spec §5), the {rule_id} of an exit signal's idempotency
// key.
const (
	ExitRuleVaR       = "var_limit"
	ExitRuleES        = "es_limit"
	ExitRuleStressDD  = "stress_dd"
	ExitRuleLiveDD    = "live_dd"
	ExitRuleLiveDecay = "live_decay"
	ExitRuleManual    = "manual"
)

// ExitWorld is the strategy id of a signal that concerns the whole world.
const ExitWorld = "*"

// Exit actions, as [events.ExitSignalEmitted] spells them.
const (
	actionReduce = "reduce"
	actionFreeze = "freeze"
	actionDrain  = "drain"
)

// ScenarioLimit is the drawdown limit of one stress scenario.
type ScenarioLimit struct {
	// Scenario is the stress scenario name.
	Scenario string
	// Max bounds |max_drawdown| (else |dd_max|) of the scenario.
	Max float64
}

// ExitRules configure the exit engine (spec §5). A nil limit switches its
// rule off.
type ExitRules struct {
	// VaR99Max bounds the hub baseline VaR99; above it every strategy is
	// reduced pro rata by 1 − max/VaR (one world-wide signal).
	VaR99Max *float64
	// ES99Max does the same with the baseline ES99.
	ES99Max *float64
	// StressDD bounds each scenario's drawdown; a breach reduces the
	// strategy by StressReduceRatio.
	StressDD []ScenarioLimit
	// StressReduceRatio is the reduction of a stress breach, in [0, 1].
	StressReduceRatio float64
	// LiveDDMax bounds live_max_drawdown; above it the strategy is frozen.
	LiveDDMax *float64
	// LiveDecayMin bounds live_vs_backtest_sharpe_ratio from below; below
	// it the strategy is reduced by LiveDecayReduceRatio.
	LiveDecayMin *float64
	// LiveDecayReduceRatio is the reduction of a live decay, in [0, 1].
	LiveDecayReduceRatio float64
	// Freeze and Drain list worlds to freeze or drain whatever their
	// numbers (manual rule); drain wins when a world is in both.
	Freeze, Drain []string
}

// ExitSignal is one recommendation of the exit engine, before it is
// recorded.
type ExitSignal struct {
	// StrategyID is the strategy, or [ExitWorld].
	StrategyID string
	// Action is reduce, freeze or drain.
	Action string
	// ReductionRatio is in [0, 1]: the share of the position to remove
	// (1 for freeze and drain).
	ReductionRatio float64
	// RuleID, ReasonCode and Reason say why.
	RuleID, ReasonCode, Reason string
	// Severity is critical, high or medium.
	Severity string
	// Metrics are the triggering values and their limits, in order.
	Metrics rules.Details
	// RequiresApproval is false only for the manual rule, which an
	// operator configured.
	RequiresApproval bool
}

// MetricsJSON encodes the signal's metrics as a JSON object.
func (s *ExitSignal) MetricsJSON() (json.RawMessage, error) {
	b, err := json.Marshal(s.Metrics)
	if err != nil {
		return nil, fmt.Errorf("exit signal metrics: %w", err)
	}
	return b, nil
}

// SnapshotExits applies the snapshot rules to a recorded snapshot of world:
// manual freeze/drain, VaR and ES limits of the hub baseline (hub nil or
// without a baseline: none), and stress drawdowns per strategy (a shared
// scenario map gives one world-wide signal). strategies are the snapshot's
// weight keys. Signals come in rule order, strategies in ascending order.
func (r *ExitRules) SnapshotExits(world string, hub *Hub, stress json.RawMessage, strategies []string) []ExitSignal {
	var out []ExitSignal
	if s, ok := r.manual(world); ok {
		out = append(out, s)
	}
	if hub != nil {
		if b, ok := hub.Baseline(); ok {
			if s, ok := limit(ExitRuleVaR, "var_99", "VaR99", b.VaR99, r.VaR99Max); ok {
				out = append(out, s)
			}
			if s, ok := limit(ExitRuleES, "es_99", "ES99", b.ES99, r.ES99Max); ok {
				out = append(out, s)
			}
		}
	}
	return append(out, r.stress(stress, strategies)...)
}

// manual returns the manual signal of a listed world.
func (r *ExitRules) manual(world string) (ExitSignal, bool) {
	action := ""
	for _, w := range r.Freeze {
		if w == world {
			action = actionFreeze
		}
	}
	for _, w := range r.Drain {
		if w == world {
			action = actionDrain
		}
	}
	if action == "" {
		return ExitSignal{}, false
	}
	return ExitSignal{
		StrategyID: ExitWorld, Action: action, ReductionRatio: 1, RuleID: ExitRuleManual,
		ReasonCode: "world_" + action + "_configured", Reason: "world " + world + " is listed for " + action + " by configuration",
		Severity: "critical", Metrics: rules.Details{}, RequiresApproval: false,
	}, true
}

// limit returns the world-wide reduction of a baseline risk above its
// limit: ratio 1 − max/value.
func limit(rule, key, label string, value float64, max *float64) (ExitSignal, bool) {
	if max == nil || !(value > *max) {
		return ExitSignal{}, false
	}
	ratio := 1 - *max/value
	return ExitSignal{
		StrategyID: ExitWorld, Action: actionReduce, ReductionRatio: clamp01(ratio), RuleID: rule,
		ReasonCode:       key + "_exceeds_max",
		Reason:           fmt.Sprintf("portfolio %s %g exceeds the limit %g", label, value, *max),
		Severity:         "high",
		Metrics:          rules.Details{{Key: key, Value: value}, {Key: key + "_max", Value: *max}},
		RequiresApproval: true,
	}, true
}

// stress returns the stress drawdown signals.
func (r *ExitRules) stress(payload json.RawMessage, strategies []string) []ExitSignal {
	if len(r.StressDD) == 0 || len(payload) == 0 {
		return nil
	}
	held := make(map[string]bool, len(strategies))
	for _, s := range strategies {
		held[s] = true
	}
	st := ParseStress(payload, func(id string) bool { return held[id] })
	if st.Shared() {
		if s, ok := r.stressSignal(ExitWorld, st.For("")); ok {
			return []ExitSignal{s}
		}
		return nil
	}
	sorted := append([]string(nil), strategies...)
	sort.Strings(sorted)
	var out []ExitSignal
	for _, id := range sorted {
		if s, ok := r.stressSignal(id, st.For(id)); ok {
			out = append(out, s)
		}
	}
	return out
}

// stressSignal checks one strategy's (or the shared) scenarios.
func (r *ExitRules) stressSignal(strategy string, block map[string]any) (ExitSignal, bool) {
	var breached rules.Details
	for _, l := range r.StressDD {
		sc, _ := block[l.Scenario].(map[string]any)
		if dd, ok := StressMaxDrawdown(sc); ok && dd > l.Max {
			breached = append(breached,
				rules.Detail{Key: l.Scenario + ".max_drawdown", Value: dd},
				rules.Detail{Key: l.Scenario + ".dd_max", Value: l.Max})
		}
	}
	if len(breached) == 0 {
		return ExitSignal{}, false
	}
	return ExitSignal{
		StrategyID: strategy, Action: actionReduce, ReductionRatio: clamp01(r.StressReduceRatio), RuleID: ExitRuleStressDD,
		ReasonCode: "stress_dd_exceeds_max", Reason: "stress drawdown exceeds its scenario limit",
		Severity: "medium", Metrics: breached, RequiresApproval: true,
	}, true
}

// LiveValues are one strategy's live aggregates the live rules read.
type LiveValues struct {
	// StrategyID is the strategy.
	StrategyID string
	// MaxDrawdown is live_max_drawdown, nil when undefined.
	MaxDrawdown *float64
	// DecayRatio is live_vs_backtest_sharpe_ratio, nil when undefined.
	DecayRatio *float64
}

// LiveExits applies the live rules to one live-monitoring pass: a drawdown
// above LiveDDMax freezes the strategy, a decay ratio below LiveDecayMin
// reduces it. Signals come in input order, live_dd before live_decay.
func (r *ExitRules) LiveExits(strategies []LiveValues) []ExitSignal {
	var out []ExitSignal
	for _, s := range strategies {
		if r.LiveDDMax != nil && s.MaxDrawdown != nil && *s.MaxDrawdown > *r.LiveDDMax {
			out = append(out, ExitSignal{
				StrategyID: s.StrategyID, Action: actionFreeze, ReductionRatio: 1, RuleID: ExitRuleLiveDD,
				ReasonCode: "live_dd_exceeds_max", Reason: fmt.Sprintf("live drawdown %g exceeds the limit %g", *s.MaxDrawdown, *r.LiveDDMax),
				Severity: "high", Metrics: rules.Details{{Key: "live_max_drawdown", Value: *s.MaxDrawdown}, {Key: "live_dd_max", Value: *r.LiveDDMax}},
				RequiresApproval: true,
			})
		}
		if r.LiveDecayMin != nil && s.DecayRatio != nil && *s.DecayRatio < *r.LiveDecayMin {
			out = append(out, ExitSignal{
				StrategyID: s.StrategyID, Action: actionReduce, ReductionRatio: clamp01(r.LiveDecayReduceRatio), RuleID: ExitRuleLiveDecay,
				ReasonCode: "live_decay_below_min", Reason: fmt.Sprintf("live/backtest Sharpe ratio %g is below the limit %g", *s.DecayRatio, *r.LiveDecayMin),
				Severity: "medium", Metrics: rules.Details{{Key: "live_vs_backtest_sharpe_ratio", Value: *s.DecayRatio}, {Key: "live_decay_min", Value: *r.LiveDecayMin}},
				RequiresApproval: true,
			})
		}
	}
	return out
}

func clamp01(x float64) float64 {
	switch {
	case !(x > 0):
		return 0
	case x > 1:
		return 1
	}
	return x
}
