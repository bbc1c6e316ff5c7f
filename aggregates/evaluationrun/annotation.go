package evaluationrun

import (
	"fmt"
	"strings"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
)

// Problem is one invalid field of an override or an ex-post failure: the
// field's name as the API spells it and what is wrong with it.
type Problem struct {
	// Path is the field name.
	Path string `json:"path"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// invalid returns the E_VALIDATION error listing problems, whose message
// names the first one.
func invalid(what string, problems []Problem) error {
	msg := fmt.Sprintf("the %s is invalid: %s: %s", what, problems[0].Path, problems[0].Message)
	if len(problems) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(problems)-1)
	}
	return (&errcode.Error{Code: errcode.Validation, Message: msg}).WithDetail("problems", problems)
}

// annotate is the shared guard of the commands that annotate an evaluated
// run: the key must be set, a retried command (a key already applied)
// decides nothing (retry true), the run must exist and carry its verdict.
func (r *Run) annotate(m events.Meta, what string) (retry bool, err error) {
	switch {
	case m.IdempotencyKey == "":
		return false, errcode.New(errcode.Validation, "the %s has no idempotency key", what)
	case r.annotations[m.IdempotencyKey]:
		return true, nil
	case !r.Exists():
		return false, errcode.New(errcode.RunNotFound, "evaluation run not found")
	case r.Status != StatusEvaluated:
		return false, errcode.New(errcode.RunNotEvaluated, "evaluation run %s is still evaluating; a %s needs its verdict", r.Request.RunID, what).
			WithDetail("world_id", r.Request.WorldID).
			WithDetail("strategy_id", r.Request.StrategyID).
			WithDetail("run_id", r.Request.RunID).
			WithDetail("status", string(r.Status))
	}
	return false, nil
}

// blank reports whether s is empty or only white space.
func blank(s string) bool { return strings.TrimSpace(s) == "" }
