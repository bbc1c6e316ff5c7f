package processor

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/risksnapshot"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// riskHubRoutes are the risk-hub snapshot routes (risk-hub spec §2.2,
// §2.14) and the list of worlds with their freshness (§6, D19). [api.routes]
// appends them to its list.
func (a *api) riskHubRoutes() []route {
	return []route{
		{pattern: "GET /risk-hub/worlds", scope: ScopeRead, readModels: true, handler: a.handleHub(a.listHubWorlds)},
		{pattern: "POST /risk-hub/worlds/{world}/snapshots", scope: ScopeHubWrite, readModels: true, handler: a.handleHub(a.postSnapshot)},
		{pattern: "GET /risk-hub/worlds/{world}/snapshots", scope: ScopeRead, readModels: true, handler: a.handleHub(a.listSnapshots)},
		{pattern: "GET /risk-hub/worlds/{world}/snapshots/latest", scope: ScopeRead, readModels: true, handler: a.handleHub(a.getLatestSnapshot)},
		{pattern: "GET /risk-hub/worlds/{world}/snapshots/lookup", scope: ScopeRead, readModels: true, handler: a.handleHub(a.lookupSnapshot)},
	}
}

// hubErrorBody is the error body of the risk-hub routes: the product's
// {"error": {…}} plus QMTL's {"detail": message} (spec §0.3), so that
// producers written against QMTL read the same message.
type hubErrorBody struct {
	Detail string   `json:"detail"`
	Error  apiError `json:"error"`
}

// handleHub is [api.handle] for the risk-hub routes: errors go through the
// API's one mapping, [apiErrorOf], and are written with a detail member.
func (a *api) handleHub(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		e := apiErrorOf(err)
		if e.HTTPStatus() >= http.StatusInternalServerError {
			writeAPIError(w, r, a.log, err) // logs the cause
			return
		}
		details := e.Details
		if details == nil {
			details = map[string]any{}
		}
		msg := e.Message
		if msg == "" {
			msg = e.Code.Description()
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, e.HTTPStatus(), hubErrorBody{Detail: msg, Error: apiError{Code: e.Code, Message: msg, Details: details}})
	})
}

// postSnapshot answers POST /risk-hub/worlds/{world}/snapshots (spec §2.2):
// X-Actor and X-Stage are required (400), the body is a snapshot (422 for
// any problem with it), and the answer is 200 with the snapshot as recorded
// — for an idempotent re-send the stored one, with Idempotent-Replay: true
// (D5); a recorded version with another hash is 409.
func (a *api) postSnapshot(w http.ResponseWriter, r *http.Request) (err error) {
	replay := false
	defer func() { a.countCommand(commandRecordRiskSnapshot, replay, err) }()
	actor, stage := r.Header.Get("X-Actor"), r.Header.Get("X-Stage")
	switch {
	case actor == "":
		return errcode.New(errcode.BadRequest, "missing actor header")
	case stage == "":
		return errcode.New(errcode.BadRequest, "missing stage header")
	}
	body, _, err := readBody(w, r, a.maxBody, "application/json")
	if err != nil {
		return err
	}
	principal, _ := PrincipalFrom(r.Context())
	out, err := a.hub.record(r.Context(), snapshotCommand{
		in:        risksnapshot.Input{World: r.PathValue("world"), Body: body, HeaderActor: actor, HeaderStage: stage},
		principal: principal,
	})
	if err != nil {
		return err
	}
	replay = out.replay
	a.models.waitFor(r.Context(), out.position, a.readYourWrites, projections.SnapshotTimelineName, projections.SnapshotLatestName)
	v, err := a.hub.view(r.Context(), out.snapshot, false)
	if err != nil {
		return err
	}
	if replay {
		w.Header().Set("Idempotent-Replay", "true")
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// getLatestSnapshot answers GET …/snapshots/latest[?stage=&actor=&expand=]:
// the usable snapshot with the greatest (as_of, created_at, version) among
// those matching the filters (D12), or 404 "snapshot not found".
func (a *api) getLatestSnapshot(w http.ResponseWriter, r *http.Request) error {
	q, err := parseSnapshotQuery(r)
	if err != nil {
		return err
	}
	s, err := a.hub.latestSnapshot(r.Context(), r.PathValue("world"), q.filter)
	if err != nil {
		return err
	}
	return a.writeSnapshot(w, r, s, q.expand)
}

// listSnapshots answers GET …/snapshots[?limit=&stage=&actor=&expand=]:
// {"snapshots": […]}, the newest limit (default 10, at most 500) usable
// snapshots matching the filters, oldest first (D18).
func (a *api) listSnapshots(w http.ResponseWriter, r *http.Request) error {
	q, err := parseSnapshotQuery(r)
	if err != nil {
		return err
	}
	ss, err := a.hub.listSnapshots(r.Context(), r.PathValue("world"), q.filter, q.limit)
	if err != nil {
		return err
	}
	views := make([]snapshotView, 0, len(ss))
	for _, s := range ss {
		v, err := a.hub.view(r.Context(), s, q.expand)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, map[string][]snapshotView{"snapshots": views})
	return nil
}

// lookupSnapshot answers GET …/snapshots/lookup?version=|as_of=[&expand=]:
// with version, that usable snapshot; else with as_of, the greatest usable
// snapshot whose as_of is at or before it; else the latest. version wins
// over as_of (D12). No match is 404 "snapshot not found".
func (a *api) lookupSnapshot(w http.ResponseWriter, r *http.Request) error {
	q, err := parseSnapshotQuery(r)
	if err != nil {
		return err
	}
	world := r.PathValue("world")
	var s *events.RiskSnapshotRecorded
	switch {
	case q.version != "":
		s, err = a.hub.snapshotByVersion(r.Context(), world, q.version)
	case q.hasAsOf:
		s, err = a.hub.snapshotAsOf(r.Context(), world, q.asOf)
	default:
		s, err = a.hub.latestSnapshot(r.Context(), world, projections.SnapshotFilter{})
	}
	if err != nil {
		return err
	}
	return a.writeSnapshot(w, r, s, q.expand)
}

func (a *api) writeSnapshot(w http.ResponseWriter, r *http.Request, s *events.RiskSnapshotRecorded, expand bool) error {
	v, err := a.hub.view(r.Context(), s, expand)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// snapshotQuery holds the query parameters of the snapshot reads.
type snapshotQuery struct {
	filter projections.SnapshotFilter
	expand bool
	// limit is the list's page size; 0 takes the default.
	limit int
	// version and asOf select a lookup; hasAsOf says asOf was given.
	version string
	asOf    time.Time
	hasAsOf bool
}

// parseSnapshotQuery reads stage, actor, expand, limit, version and as_of;
// a malformed one is 400 E_BAD_REQUEST naming it.
func parseSnapshotQuery(r *http.Request) (snapshotQuery, error) {
	v := r.URL.Query()
	var q snapshotQuery
	q.filter = projections.SnapshotFilter{Stage: v.Get("stage"), Actor: v.Get("actor")}
	bad := func(param, format string, args ...any) error {
		return errcode.New(errcode.BadRequest, format, args...).WithDetail("parameter", param)
	}
	if s := v.Get("expand"); s != "" {
		b, ok := parseQueryBool(s)
		if !ok {
			return q, bad("expand", "expand must be a boolean (true or false), got %q", s)
		}
		q.expand = b
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, bad("limit", "limit must be a positive integer, got %q", s)
		}
		q.limit = min(n, projections.MaxSnapshotListLimit)
	}
	q.version = v.Get("version")
	if s := v.Get("as_of"); s != "" && q.version == "" {
		t, err := risksnapshot.ParseTimestamp(s)
		if err != nil {
			return q, bad("as_of", "invalid as_of timestamp: %s", s)
		}
		q.asOf, q.hasAsOf = t, true
	}
	return q, nil
}

// parseQueryBool reads a boolean query value as FastAPI does: true, 1, yes,
// on and false, 0, no, off, in any case.
func parseQueryBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off":
		return false, true
	}
	return false, false
}
