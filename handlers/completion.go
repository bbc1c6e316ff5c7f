package handlers

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/rules"
)

// completion converts an evaluated run into the events' content.
func completion(meta events.Meta, run evaluation.Run, version int) (evaluationrun.Complete, error) {
	metricsDoc, err := events.Marshal(run.Metrics)
	if err != nil {
		return evaluationrun.Complete{}, fmt.Errorf("evaluator: encode metrics: %w", err)
	}
	health, err := marshalWith(run.ValidationHealth, run.ValidationHealth.AppendMarshal)
	if err != nil {
		return evaluationrun.Complete{}, fmt.Errorf("evaluator: encode validation health: %w", err)
	}
	profile := ""
	if run.Validation.Profile != nil {
		profile = *run.Validation.Profile
	}
	cmd := evaluationrun.Complete{
		Meta:    meta,
		Metrics: events.MetricsComputed{Metrics: metricsDoc, Derivations: run.Derivations},
		Verdict: events.EvaluationCompleted{
			Status:           string(run.Summary.Status),
			RecommendedStage: run.Summary.RecommendedStage,
			Active:           run.Summary.Active,
			ActiveSet:        run.Summary.ActiveSet,
			PolicyVersion:    version,
			RulesetHash:      run.Validation.RulesetHash,
			Profile:          profile,
			ValidationHealth: health,
			PolicySnapshot:   run.Validation.PolicySnapshot,
		},
	}
	if pv := run.Validation.PolicyVersion; pv != nil {
		if v, err := strconv.Atoi(*pv); err == nil {
			cmd.Verdict.PolicyVersion = v
		}
	}
	for _, nr := range run.Validation.Results {
		body, err := marshalWith(nr.Result, nr.Result.AppendMarshal)
		if err != nil {
			return evaluationrun.Complete{}, fmt.Errorf("evaluator: encode rule %s: %w", nr.Name, err)
		}
		cmd.Rules = append(cmd.Rules, events.RuleEvaluated{
			Rule: nr.Name, Result: body, PolicyVersion: cmd.Verdict.PolicyVersion,
			RulesetHash: run.Validation.RulesetHash, Profile: profile,
		})
	}
	return cmd, nil
}

// marshalWith returns v as events.Marshal encodes it, written by v's own
// encoder (appendJSON, which declines what it cannot write as encoding/json
// would), else by events.Marshal, which writes it or reports why not.
func marshalWith(v any, appendJSON func([]byte) ([]byte, bool)) (json.RawMessage, error) {
	if b, ok := appendJSON(nil); ok {
		return b, nil
	}
	return events.Marshal(v)
}

// failed is the fail-closed completion of a run that could not be evaluated:
// no rule ran, the verdict is fail with backtest_only, and the note says why.
// The metrics are recorded when they could be derived.
func failed(meta events.Meta, doc map[string]any, derivations []string, version int, note string) evaluationrun.Complete {
	if doc == nil {
		doc = map[string]any{}
	}
	h := evaluation.NoPolicyHealth(doc)
	doc = rules.AttachHealth(doc, h)
	metricsDoc, _ := json.Marshal(doc) // a decoded-JSON document always encodes
	health, _ := json.Marshal(h)       // a struct of numbers always encodes
	return evaluationrun.Complete{
		Meta:    meta,
		Metrics: events.MetricsComputed{Metrics: metricsDoc, Derivations: derivations},
		Verdict: events.EvaluationCompleted{
			Status:           string(rules.Fail),
			RecommendedStage: rules.StageBacktestOnly,
			Active:           false,
			PolicyVersion:    version,
			ValidationHealth: health,
			Note:             note,
		},
	}
}
