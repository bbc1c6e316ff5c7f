package processor

import (
	"net/http"

	"github.com/worldval/worldval/aggregates/evaluationrun"
)

// Command types of the annotation routes in
// worldval_commands_ingested_total.
const (
	commandRecordOverride      = "RecordOverride"
	commandRecordExPostFailure = "RecordExPostFailure"
)

// overrideRequest is a validated override body (validation-core §10.1).
type overrideRequest struct {
	status, reason, actor, timestamp string
}

// parseOverride decodes POST .../override strictly: status (approved,
// rejected or none) is required; reason, actor and timestamp are strings,
// all three required and non-blank for an approval; nothing else. Every
// problem is reported at once, as E_VALIDATION naming each field.
func parseOverride(body []byte) (overrideRequest, error) {
	members, err := decodeObject(body)
	if err != nil {
		return overrideRequest{}, err
	}
	var ps problems
	var o overrideRequest
	statusOK := false
	for _, m := range members {
		switch m.name {
		case "status":
			o.status, statusOK = stringValue(&ps, m.name, m.value)
		case "reason":
			o.reason, _ = stringValue(&ps, m.name, m.value)
		case "actor":
			o.actor, _ = stringValue(&ps, m.name, m.value)
		case "timestamp":
			o.timestamp, _ = stringValue(&ps, m.name, m.value)
		default:
			ps.add(m.name, "unknown field (an override has status, reason, actor and timestamp)")
		}
	}
	switch {
	case !statusOK && !ps.concern("status"):
		ps.add("status", "is required (approved, rejected or none)")
	case statusOK && !ps.concern("reason", "actor", "timestamp"):
		for _, p := range evaluationrun.CheckOverride(o.status, o.reason, o.actor, o.timestamp) {
			ps = append(ps, problem(p))
		}
	}
	if err := ps.err("the override is invalid"); err != nil {
		return overrideRequest{}, err
	}
	return o, nil
}

// recordOverride answers POST /worlds/{world}/strategies/{strategy}/runs/{run}/override:
// it records a human decision on an evaluated run (validation-core §10.1)
// and answers 200 with the run. The verdict never changes. An approval needs
// reason, actor and timestamp, and is recorded with its re-review due date:
// the timestamp plus 30 days for a live run or a high-tier critical world,
// else 90. Asking for the status the run already has appends nothing (even
// with another reason). An unknown run is 404 E_RUN_NOT_FOUND, a run still
// evaluating 409 E_RUN_NOT_EVALUATED, an invalid body 422 E_VALIDATION; none
// of them appends anything.
func (a *api) recordOverride(w http.ResponseWriter, r *http.Request) (err error) {
	duplicate := false
	defer func() { a.countCommand(commandRecordOverride, duplicate, err) }()

	body, _, err := readBody(w, r, a.maxBody, "application/json")
	if err != nil {
		return err
	}
	world, strategy, run := runPath(r)
	principal, _ := PrincipalFrom(r.Context())
	res, err := a.recordOverrideOf(r.Context(), world, strategy, run, body, r.Header.Get("Idempotency-Key"), commandMeta{actor: principal})
	if err != nil {
		return err
	}
	duplicate = res.Duplicate
	return a.answerAnnotation(w, r, res)
}
