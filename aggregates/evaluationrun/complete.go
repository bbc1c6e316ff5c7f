package evaluationrun

import (
	"bytes"
	"fmt"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
)

// Complete is the command that records a run's evaluation: its metrics, one
// result per core rule, and the verdict, appended together in one decision.
type Complete struct {
	// Meta carries the idempotency key (required; the ids of all the
	// completion's events derive from it), the evaluation time and the
	// actor. Its Index is ignored.
	Meta events.Meta
	// Metrics is the metrics document after derivation.
	Metrics events.MetricsComputed
	// Rules are the core rule results, in the order they are recorded.
	// Rule names must be non-empty and distinct.
	Rules []events.RuleEvaluated
	// Verdict is the summary of the evaluation.
	Verdict events.EvaluationCompleted
}

// Complete decides a completion. For a run that is evaluating it yields
// MetricsComputed, one RuleEvaluated per rule and EvaluationCompleted, in that
// order, with ids IDFromKeyN(key, 0…n+1). Completing an evaluated run again
// with the same idempotency key yields no events; with another key it is
// [errcode.RunAlreadyEvaluated], since the results are immutable (CD8). An
// unknown run is [errcode.RunNotFound].
func (r *Run) Complete(reg *events.Registry, cmd Complete) ([]events.Event, error) {
	switch r.Status {
	case StatusNone:
		return nil, errcode.New(errcode.RunNotFound, "evaluation run not found")
	case StatusEvaluated:
		if cmd.Meta.IdempotencyKey != "" && cmd.Meta.IdempotencyKey == r.CompletionKey {
			return nil, nil
		}
		return nil, errcode.New(errcode.RunAlreadyEvaluated, "evaluation run %s is already evaluated", r.Request.RunID).
			WithDetail("run_id", r.Request.RunID)
	}
	if err := checkCompletion(cmd); err != nil {
		return nil, err
	}
	payloads := make([]any, 0, len(cmd.Rules)+2)
	payloads = append(payloads, cmd.Metrics)
	for _, rule := range cmd.Rules {
		payloads = append(payloads, rule)
	}
	payloads = append(payloads, cmd.Verdict)
	out := make([]events.Event, len(payloads))
	for i, p := range payloads {
		meta := cmd.Meta
		meta.Index = i
		ev, err := reg.New(p, meta)
		if err != nil {
			return nil, fmt.Errorf("complete run %s: %w", r.Request.RunID, err)
		}
		out[i] = ev
	}
	return out, nil
}

func checkCompletion(cmd Complete) error {
	if cmd.Meta.IdempotencyKey == "" {
		return errcode.New(errcode.Validation, "the completion has no idempotency key")
	}
	if m := bytes.TrimSpace(cmd.Metrics.Metrics); len(m) == 0 || m[0] != '{' {
		return errcode.New(errcode.Validation, "the completion's metrics are not a JSON object")
	}
	if cmd.Verdict.Status == "" {
		return errcode.New(errcode.Validation, "the completion has no summary status")
	}
	seen := make(map[string]bool, len(cmd.Rules))
	for i, rule := range cmd.Rules {
		switch {
		case rule.Rule == "":
			return errcode.New(errcode.Validation, "rule result %d has no rule name", i)
		case seen[rule.Rule]:
			return errcode.New(errcode.Validation, "rule %q is recorded twice", rule.Rule)
		}
		seen[rule.Rule] = true
	}
	return nil
}
