package evaluationrun

import (
	"fmt"
	"strings"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/invariants"
)

// Override statuses (validation-core §10.1).
const (
	// OverrideApproved approves the run despite its verdict; it needs a
	// reason, an actor and a timestamp, and is listed for re-review.
	OverrideApproved = "approved"
	// OverrideRejected rejects the run.
	OverrideRejected = "rejected"
	// OverrideNone withdraws a decision.
	OverrideNone = "none"
)

// RecordOverride is the command that records a human decision on an
// evaluated run (validation-core §10.1). It never changes the run's verdict.
type RecordOverride struct {
	// Meta carries the idempotency key (required; a retried command with
	// the same key appends nothing), the time and the actor (the
	// authenticated principal). Its Index is ignored.
	Meta events.Meta
	// Status is approved, rejected or none.
	Status string
	// Reason is why; required (non-blank) for an approval.
	Reason string
	// Actor is who decided, as the caller names them; required for an
	// approval.
	Actor string
	// Timestamp is when the decision was taken, kept as given (ISO-8601
	// expected); required for an approval. Without one, the run reads the
	// event's time.
	Timestamp string
	// HighTierCritical tells whether the run's world is high-tier critical
	// (validation-core §1) now; with the run's stage it sets the
	// re-review window of an approval (§10.1).
	HighTierCritical bool
}

// CheckOverride returns the problems of an override request: a status
// other than approved, rejected or none, and, for an approval, each of
// reason, actor and timestamp that is blank.
func CheckOverride(status, reason, actor, timestamp string) []Problem {
	switch status {
	case OverrideApproved:
	case OverrideRejected, OverrideNone:
		return nil
	default:
		return []Problem{{Path: "status", Message: fmt.Sprintf("%q is not an override status (want approved, rejected or none)", status)}}
	}
	var missing []string
	for _, f := range [...]struct{ name, value string }{{"reason", reason}, {"actor", actor}, {"timestamp", timestamp}} {
		if blank(f.value) {
			missing = append(missing, f.name)
		}
	}
	problems := make([]Problem, len(missing))
	for i, name := range missing {
		problems[i] = Problem{Path: name, Message: "approved override requires reason, actor, and timestamp (missing: " + strings.Join(missing, ", ") + ")"}
	}
	return problems
}

// RecordOverride decides an override: one OverrideRecorded carrying the
// request as given, the revision it creates and, for an approval whose
// timestamp parses, the re-review due date (the timestamp plus 30 days for a
// live run or a high-tier critical world, else 90; validation-core §10.1).
//
// A request for the status the run already has (compared
// case-insensitively) yields no events, even when reason, actor or
// timestamp differ (§10.1); so does a retried command. An unknown run is
// E_RUN_NOT_FOUND, a run without its verdict E_RUN_NOT_EVALUATED, an invalid
// request E_VALIDATION naming its fields.
func (r *Run) RecordOverride(reg *events.Registry, cmd RecordOverride) ([]events.Event, error) {
	if retry, err := r.annotate(cmd.Meta, "override"); retry || err != nil {
		return nil, err
	}
	if ps := CheckOverride(cmd.Status, cmd.Reason, cmd.Actor, cmd.Timestamp); len(ps) > 0 {
		return nil, invalid("override", ps)
	}
	if r.Override != nil && r.Override.Status != "" && strings.EqualFold(r.Override.Status, cmd.Status) {
		return nil, nil
	}
	p := events.OverrideRecorded{
		Status:    cmd.Status,
		Reason:    cmd.Reason,
		Actor:     cmd.Actor,
		Timestamp: cmd.Timestamp,
		Revision:  r.Revisions + 1,
	}
	if cmd.Status == OverrideApproved {
		if due, ok := invariants.ReviewDue(cmd.Timestamp, r.Request.Stage, cmd.HighTierCritical); ok {
			p.ReviewDue = invariants.FormatTimestamp(due)
		}
	}
	meta := cmd.Meta
	meta.Index = 0
	ev, err := reg.New(p, meta)
	if err != nil {
		return nil, fmt.Errorf("override of run %s: %w", r.Request.RunID, err)
	}
	return []events.Event{ev}, nil
}
