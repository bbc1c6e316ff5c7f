package evaluationrun

import (
	"fmt"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
)

// Submit is the command that asks for a run to be validated.
type Submit struct {
	// Meta carries the idempotency key (required; the event id derives
	// from it), the time the request was accepted, and the actor. Its
	// Index is ignored.
	Meta events.Meta
	// Request is the submission. Stage and risk tier are normalized (see
	// [Normalize]) and RequestHash is computed (see [RequestHash]); a value
	// the caller put there is ignored.
	Request events.EvaluationRunSubmitted
}

// Submit decides a submission. The first submission of a run yields one
// EvaluationRunSubmitted event. A re-submission of the same request (same
// request hash, validation-core §2.5) yields no events: the caller answers
// with the existing run. A different request for an existing run is a
// conflict: [errcode.RunAlreadyEvaluated] once the run is evaluated (CD8),
// and [errcode.RunAlreadySubmitted] while it is still evaluating.
//
// The conflict while evaluating is not resolved by replacing the request:
// the evaluator may already be working on the first one, and a run id names
// one request for ever, so the caller needs a new run id either way. A
// separate code tells the caller that no verdict exists yet.
//
// Re-using an idempotency key for a different request is the same conflict,
// not a no-op: answering with a run computed from another request would hide
// the difference.
func (r *Run) Submit(reg *events.Registry, cmd Submit) ([]events.Event, error) {
	req := Normalize(cmd.Request)
	if err := checkSubmission(req, cmd.Meta); err != nil {
		return nil, err
	}
	hash, err := RequestHash(req)
	if err != nil {
		return nil, errcode.Wrap(errcode.Validation, err, "the request cannot be hashed")
	}
	req.RequestHash = hash
	if r.Exists() {
		return nil, r.resubmission(req)
	}
	meta := cmd.Meta
	meta.Index = 0
	ev, err := reg.New(req, meta)
	if err != nil {
		return nil, fmt.Errorf("submit run %s: %w", req.RunID, err)
	}
	return []events.Event{ev}, nil
}

func (r *Run) resubmission(req events.EvaluationRunSubmitted) error {
	have := r.Request
	if req.WorldID != have.WorldID || req.StrategyID != have.StrategyID || req.RunID != have.RunID {
		return errcode.New(errcode.Validation, "submission for %s/%s/%s sent to the stream of run %s/%s/%s",
			req.WorldID, req.StrategyID, req.RunID, have.WorldID, have.StrategyID, have.RunID)
	}
	if req.RequestHash == have.RequestHash {
		return nil
	}
	code := errcode.RunAlreadySubmitted
	if r.Status == StatusEvaluated {
		code = errcode.RunAlreadyEvaluated
	}
	return (&errcode.Error{Code: code}).
		WithDetail("world_id", have.WorldID).
		WithDetail("strategy_id", have.StrategyID).
		WithDetail("run_id", have.RunID).
		WithDetail("status", string(r.Status))
}

func checkSubmission(req events.EvaluationRunSubmitted, m events.Meta) error {
	switch {
	case req.WorldID == "":
		return errcode.New(errcode.Validation, "world_id is required")
	case req.StrategyID == "":
		return errcode.New(errcode.Validation, "strategy_id is required")
	case req.RunID == "":
		return errcode.New(errcode.Validation, "run_id is required")
	case m.IdempotencyKey == "":
		return errcode.New(errcode.Validation, "the submission has no idempotency key")
	case req.PolicyVersion < 0:
		return errcode.New(errcode.Validation, "policy_version %d is negative", req.PolicyVersion)
	}
	return nil
}
