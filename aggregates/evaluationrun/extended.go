package evaluationrun

import (
	"bytes"
	"fmt"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
)

// RecordExtended is the command that merges the results of one
// extended-validation pass into an evaluated run (risk-hub spec §3.8 and
// §8.3). One pass is one trigger: its idempotency key is [ExtendedKey] of
// the trigger's key, so a trigger re-delivered after a crash, or handled
// again from an older checkpoint, records nothing more.
type RecordExtended struct {
	// Meta carries the idempotency key (required), the evaluation time and
	// the actor. Its Index is ignored.
	Meta events.Meta
	// Result is the payload as the pass computed it; its extended_revision
	// is set by the decision (the run's previous revision + 1).
	Result events.ExtendedValidationCompleted
}

// ExtendedKey returns the idempotency key of the extended pass of run
// (world, strategy, run) caused by a trigger with idempotency key trigger:
// extended:{world}:{strategy}:{run}:{trigger}.
func ExtendedKey(world, strategy, run, trigger string) string {
	return fmt.Sprintf("extended:%s:%s:%s:%s", world, strategy, run, trigger)
}

// RecordExtended decides an extended merge: one ExtendedValidationCompleted
// with the next extended revision. A retried command yields no events. An
// unknown run is E_RUN_NOT_FOUND, a run without its verdict
// E_RUN_NOT_EVALUATED, results that are not a JSON object E_VALIDATION.
func (r *Run) RecordExtended(reg *events.Registry, cmd RecordExtended) ([]events.Event, error) {
	if retry, err := r.annotate(cmd.Meta, "extended validation"); retry || err != nil {
		return nil, err
	}
	if b := bytes.TrimSpace(cmd.Result.Results); len(b) == 0 || b[0] != '{' {
		return nil, errcode.New(errcode.Validation, "the extended results of run %s are not a JSON object", r.Request.RunID)
	}
	p := cmd.Result
	p.ExtendedRevision = r.ExtendedRevision + 1
	meta := cmd.Meta
	meta.Index = 0
	ev, err := reg.New(p, meta)
	if err != nil {
		return nil, fmt.Errorf("extended validation of run %s: %w", r.Request.RunID, err)
	}
	return []events.Event{ev}, nil
}
