package evaluationrun

import (
	"fmt"

	"github.com/worldval/worldval/events"
)

// Values and defaults of an ex-post failure (validation-core §10.2).
const (
	// ExPostCandidate marks a failure detected automatically, awaiting
	// confirmation.
	ExPostCandidate = "candidate"
	// ExPostConfirmed marks a failure a human confirmed (the default).
	ExPostConfirmed = "confirmed"
	// ExPostManual is the source of a failure recorded by a person (the
	// default).
	ExPostManual = "manual"
	// ExPostAuto is the source of a failure recorded by a detector.
	ExPostAuto = "auto"
)

// RecordExPostFailure is the command that appends an ex-post failure to an
// evaluated run: validation passed, and live operation later showed a
// failure that should have been caught (validation-core §10.2).
type RecordExPostFailure struct {
	// Meta carries the idempotency key (required; a retried command with
	// the same key appends nothing), the time and the actor (the
	// authenticated principal). Its Index is ignored.
	Meta events.Meta
	// Failure is the entry as the caller gave it. Blank fields take their
	// defaults when recorded: case_id a UUID derived from the idempotency
	// key (so a retry names the same case), status confirmed, source
	// manual, recorded_at the command's time (UTC, seconds, "Z").
	Failure events.ExPostFailureRecorded
}

// CheckExPostFailure returns the problems of an ex-post failure with its
// defaults applied: category, reason_code and actor must not be blank;
// status is candidate or confirmed; source manual or auto; severity, when
// set, critical, high, medium or low.
func CheckExPostFailure(f events.ExPostFailureRecorded) []Problem {
	var ps []Problem
	for _, req := range [...]struct{ name, value string }{{"category", f.Category}, {"reason_code", f.ReasonCode}, {"actor", f.Actor}} {
		if blank(req.value) {
			ps = append(ps, Problem{Path: req.name, Message: "is required and must not be blank"})
		}
	}
	oneOf := func(path, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf("%q is not one of %v", v, allowed)})
	}
	oneOf("status", f.Status, ExPostCandidate, ExPostConfirmed)
	oneOf("source", f.Source, ExPostManual, ExPostAuto)
	if f.Severity != "" {
		oneOf("severity", f.Severity, "critical", "high", "medium", "low")
	}
	return ps
}

// WithExPostDefaults returns f with the defaults of a blank case_id, status,
// source and recorded_at filled in as [RecordExPostFailure] documents.
func WithExPostDefaults(f events.ExPostFailureRecorded, m events.Meta) events.ExPostFailureRecorded {
	if blank(f.CaseID) {
		f.CaseID = events.IDFromKey("ex-post-case:" + m.IdempotencyKey)
	}
	if f.Status == "" {
		f.Status = ExPostConfirmed
	}
	if f.Source == "" {
		f.Source = ExPostManual
	}
	if blank(f.RecordedAt) {
		f.RecordedAt = m.OccurredAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	return f
}

// RecordExPostFailure decides an ex-post failure: one ExPostFailureRecorded
// with the defaults filled in. A retried command yields no events. An
// unknown run is E_RUN_NOT_FOUND, a run without its verdict
// E_RUN_NOT_EVALUATED, an invalid entry E_VALIDATION naming its fields.
func (r *Run) RecordExPostFailure(reg *events.Registry, cmd RecordExPostFailure) ([]events.Event, error) {
	if retry, err := r.annotate(cmd.Meta, "ex-post failure"); retry || err != nil {
		return nil, err
	}
	f := WithExPostDefaults(cmd.Failure, cmd.Meta)
	if ps := CheckExPostFailure(f); len(ps) > 0 {
		return nil, invalid("ex-post failure", ps)
	}
	meta := cmd.Meta
	meta.Index = 0
	ev, err := reg.New(f, meta)
	if err != nil {
		return nil, fmt.Errorf("ex-post failure of run %s: %w", r.Request.RunID, err)
	}
	return []events.Event{ev}, nil
}
