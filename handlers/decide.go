package handlers

import (
	"context"
	"fmt"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
)

// Decide returns the completion the evaluator would record for the stored
// EvaluationRunSubmitted rec, without appending anything. It is the decision
// [Evaluator.HandleBatch] makes before its append, through the same code:
// the metrics derived from the submission, the policy resolved as of rec's
// global position, the world's fail-closed setting as of that position (with
// the default [WorldSettingsFailClosed] source) and, for paper and shadow
// runs, the baseline the evaluator's [BaselineSource] answers when asked.
//
// policyVersion, when not 0, replaces the version the submission asks for,
// so that an auditor can recompute a completion under the version it names;
// 0 resolves as the evaluator does (see [Evaluator.ResolvePolicyVersion]).
// The completion's Meta (occurred_at from the evaluator's clock, the
// idempotency key and causation) is bookkeeping, not part of the decision.
//
// A run that cannot be evaluated (no policy, an unknown version, bad
// parameters) yields its failing completion, as in the evaluator; an error
// is a record that is not a decodable submission, or a failure of the store
// or the baseline source.
//
// Decide does not learn of events by itself: an evaluator that is not handed
// every event through [Evaluator.HandleBatch] reads a world's policy and
// settings streams once, on its first look-up of that world, and answers
// from that read. Its answers are therefore exact for submissions stored
// before that first look-up, which a replay of history ensures by deciding
// only submissions at or below the store head it read before starting. It
// is safe for concurrent use when the baseline source is.
func (e *Evaluator) Decide(ctx context.Context, rec *events.Record, policyVersion int) (evaluationrun.Complete, error) {
	if rec.Type != events.TypeEvaluationRunSubmitted {
		return evaluationrun.Complete{}, fmt.Errorf("evaluator: decide %s version %d: a %s is not a submission", rec.Stream, rec.StreamVersion, rec.Type)
	}
	_, cmd, err := e.decideRecord(ctx, rec, policyVersion)
	return cmd, err
}

// ResolvePolicyVersion returns the policy version the evaluator evaluates the
// stored submission rec under when nothing is pinned: the version the
// submission asks for, else the world's default as of rec's global position,
// 0 when the world had none then. It is the version [Evaluator.Decide] with
// policyVersion 0 records in its completion. The caveat of Decide on events
// it was not handed applies.
func (e *Evaluator) ResolvePolicyVersion(ctx context.Context, rec *events.Record) (int, error) {
	sub, err := events.DecodeAs[events.EvaluationRunSubmitted](e.reg, &rec.Event)
	if err != nil {
		return 0, fmt.Errorf("evaluator: %w", err)
	}
	if _, err := events.PolicyStream(sub.WorldID); err != nil {
		return 0, nil // as resolve: no policy stream can exist for this world
	}
	_, version, _, err := e.policies.document(ctx, sub.WorldID, rec.GlobalPosition, sub.PolicyVersion)
	if err != nil {
		return 0, fmt.Errorf("evaluator: policy version of %s: %w", rec.Stream, err)
	}
	return version, nil
}
