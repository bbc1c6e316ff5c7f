package evaluationrun

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/worldval/worldval/events"
)

// Status is the lifecycle status of a run (validation-core §2.4).
type Status string

// The statuses of a run. A stream with no events has [StatusNone].
const (
	// StatusNone is the status of a run that was never submitted.
	StatusNone Status = ""
	// StatusEvaluating is the status from submission until the verdict is
	// recorded.
	StatusEvaluating Status = "evaluating"
	// StatusEvaluated is the status once the verdict is recorded.
	StatusEvaluated Status = "evaluated"
)

// Run is the state of one evaluation run, folded from its stream. The zero
// Run is a run that does not exist yet. A Run is a plain value: it is not safe
// for concurrent mutation, and Apply is the only method that changes it.
type Run struct {
	// Status is the lifecycle status.
	Status Status
	// Request is the submission that created the run, normalized, with its
	// request hash.
	Request events.EvaluationRunSubmitted
	// SubmissionKey is the idempotency key of the submission.
	SubmissionKey string
	// SubmittedAt is when the run was submitted (the event's occurred_at).
	SubmittedAt time.Time
	// Metrics is the metrics document after derivation, once computed.
	Metrics json.RawMessage
	// Derivations are the paths of Metrics that the evaluation derived
	// (the rest was submitted).
	Derivations []string
	// Rules are the core rule results in the order they were recorded.
	Rules []events.RuleEvaluated
	// Verdict is the recorded verdict; meaningful once Status is
	// StatusEvaluated.
	Verdict events.EvaluationCompleted
	// CompletionKey is the idempotency key of the completion.
	CompletionKey string
	// EvaluatedAt is when the verdict was reached (the event's occurred_at).
	EvaluatedAt time.Time
	// EvaluatedPosition is the global position of the verdict (0 before
	// it), which orders the verdict among other streams' events.
	EvaluatedPosition uint64
	// ExtendedRevision is the revision of the latest merged extended-layer
	// results (0: none).
	ExtendedRevision int
	// ExtendedPatches are the metrics patches (RFC 7386) of the merged
	// extended results, in order: Metrics with each applied is the run's
	// current metrics document.
	ExtendedPatches []json.RawMessage
	// ExtendedResults are the merged results (core and extended) recorded
	// by the latest extended merge, nil before the first.
	ExtendedResults json.RawMessage
	// Override is the latest recorded override, if any.
	Override *events.OverrideRecorded
	// ExPostFailures counts the recorded ex-post failures.
	ExPostFailures int
	// Revisions counts the run's history revisions (validation-core §2.5):
	// the submission, the evaluation (one append of several events), and
	// each extended merge, override and ex-post failure.
	Revisions int
	// Version is the stream version of the last applied event.
	Version uint64

	// annotations holds the idempotency keys of the overrides, ex-post
	// failures and extended merges applied, so that a retried command
	// appends nothing.
	annotations map[string]bool
}

// Exists reports whether the run was submitted.
func (r *Run) Exists() bool { return r.Status != StatusNone }

// Apply folds one stored event into the run. Events of types this aggregate
// does not know are skipped, so that later event types do not break older
// readers; an event that contradicts the lifecycle (anything before the
// submission, a second submission, results after the verdict) is an error.
func (r *Run) Apply(rec *events.Record, payload any) error {
	switch p := payload.(type) {
	case *events.EvaluationRunSubmitted:
		if r.Exists() {
			return fmt.Errorf("evaluation run %s: submitted twice", r.Request.RunID)
		}
		r.Status, r.Request, r.SubmissionKey, r.SubmittedAt = StatusEvaluating, *p, rec.IdempotencyKey, rec.OccurredAt
		r.Revisions = 1
	case *events.MetricsComputed:
		if err := r.require(rec, StatusEvaluating); err != nil {
			return err
		}
		r.Metrics, r.Derivations = p.Metrics, p.Derivations
	case *events.RuleEvaluated:
		if err := r.require(rec, StatusEvaluating); err != nil {
			return err
		}
		r.Rules = append(r.Rules, *p)
	case *events.EvaluationCompleted:
		if err := r.require(rec, StatusEvaluating); err != nil {
			return err
		}
		r.Status, r.Verdict, r.CompletionKey, r.EvaluatedAt = StatusEvaluated, *p, rec.IdempotencyKey, rec.OccurredAt
		r.EvaluatedPosition = rec.GlobalPosition
		r.Revisions++
	case *events.ExtendedValidationCompleted:
		if err := r.requireExists(rec); err != nil {
			return err
		}
		r.ExtendedRevision = p.ExtendedRevision
		if len(p.MetricsPatch) > 0 {
			r.ExtendedPatches = append(r.ExtendedPatches, p.MetricsPatch)
		}
		if len(p.MergedResults) > 0 {
			r.ExtendedResults = p.MergedResults
		}
		r.annotated(rec.IdempotencyKey)
	case *events.OverrideRecorded:
		if err := r.requireExists(rec); err != nil {
			return err
		}
		o := *p
		r.Override = &o
		r.annotated(rec.IdempotencyKey)
	case *events.ExPostFailureRecorded:
		if err := r.requireExists(rec); err != nil {
			return err
		}
		r.ExPostFailures++
		r.annotated(rec.IdempotencyKey)
	}
	r.Version = rec.StreamVersion
	return nil
}

// require refuses an event recorded in the wrong lifecycle status: results
// only while evaluating (after the verdict they are immutable, CD8).
func (r *Run) require(rec *events.Record, want Status) error {
	if r.Status != want {
		status := r.Status
		if status == StatusNone {
			status = "not submitted"
		}
		return fmt.Errorf("evaluation run %q: %s while %s", r.Request.RunID, rec.Type, status)
	}
	return nil
}

// requireExists refuses an annotation (extended results, override, ex-post
// failure) on a run that was never submitted. Their finer rules belong to the
// commands that will record them; folding stays lenient so that history those
// commands write is always readable.
func (r *Run) requireExists(rec *events.Record) error {
	if !r.Exists() {
		return fmt.Errorf("evaluation run: %s before the submission", rec.Type)
	}
	return nil
}

// annotated records an applied override, ex-post failure or extended merge:
// one more revision, and its idempotency key.
func (r *Run) annotated(key string) {
	r.Revisions++
	if key == "" {
		return
	}
	if r.annotations == nil {
		r.annotations = make(map[string]bool)
	}
	r.annotations[key] = true
}
