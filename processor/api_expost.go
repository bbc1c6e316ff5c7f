package processor

import (
	"net/http"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
)

// parseExPostFailure decodes POST .../ex-post-failures strictly: the string
// fields of validation-core §10.2 (case_id, status, category, reason_code,
// severity, evidence_url, actor, recorded_at, source, notes), each string or
// null, and nothing else. Values are checked once the defaults are known
// (see recordExPostFailure).
func parseExPostFailure(body []byte) (events.ExPostFailureRecorded, error) {
	members, err := decodeObject(body)
	if err != nil {
		return events.ExPostFailureRecorded{}, err
	}
	var ps problems
	var f events.ExPostFailureRecorded
	for _, m := range members {
		var dst *string
		switch m.name {
		case "case_id":
			dst = &f.CaseID
		case "status":
			dst = &f.Status
		case "category":
			dst = &f.Category
		case "reason_code":
			dst = &f.ReasonCode
		case "severity":
			dst = &f.Severity
		case "evidence_url":
			dst = &f.EvidenceURL
		case "actor":
			dst = &f.Actor
		case "recorded_at":
			dst = &f.RecordedAt
		case "source":
			dst = &f.Source
		case "notes":
			dst = &f.Notes
		default:
			ps.add(m.name, "unknown field (an ex-post failure has case_id, status, category, reason_code, severity, evidence_url, actor, recorded_at, source and notes)")
			continue
		}
		*dst, _ = stringValue(&ps, m.name, m.value)
	}
	if err := ps.err("the ex-post failure is invalid"); err != nil {
		return events.ExPostFailureRecorded{}, err
	}
	return f, nil
}

// recordExPostFailure answers POST
// /worlds/{world}/strategies/{strategy}/runs/{run}/ex-post-failures: it
// appends an entry to the run's summary.ex_post_failures (validation-core
// §10.2) and answers 200 with the run. category, reason_code and actor are
// required; status defaults to confirmed, source to manual, recorded_at to
// now, a blank case_id to a generated UUID. An unknown run is 404
// E_RUN_NOT_FOUND, a run still evaluating 409 E_RUN_NOT_EVALUATED, an
// invalid body 422 E_VALIDATION; none of them appends anything.
func (a *api) recordExPostFailure(w http.ResponseWriter, r *http.Request) (err error) {
	duplicate := false
	defer func() { a.countCommand(commandRecordExPostFailure, duplicate, err) }()

	body, _, err := readBody(w, r, a.maxBody, "application/json")
	if err != nil {
		return err
	}
	f, err := parseExPostFailure(body)
	if err != nil {
		return err
	}
	var ps problems
	for _, p := range evaluationrun.CheckExPostFailure(evaluationrun.WithExPostDefaults(f, events.Meta{OccurredAt: a.now()})) {
		ps = append(ps, problem(p))
	}
	clientKey := checkKey(&ps, "", r.Header.Get("Idempotency-Key"))
	if err := ps.err("the ex-post failure is invalid"); err != nil {
		return err
	}
	duplicate, err = a.annotateRun(w, r, commandRecordExPostFailure, clientKey, func(run *evaluationrun.Run, meta events.Meta) ([]events.Event, error) {
		return run.RecordExPostFailure(a.reg, evaluationrun.RecordExPostFailure{Meta: meta, Failure: f})
	})
	return err
}
