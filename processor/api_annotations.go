package processor

import (
	"crypto/rand"
	"net/http"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// annotationDecider decides one annotation of a run (an override, an ex-post
// failure) with the command's meta.
type annotationDecider func(run *evaluationrun.Run, meta events.Meta) ([]events.Event, error)

// annotateRun runs one annotation command against the run the path names
// and answers 200 with the run as it is afterwards (validation-core §13.2:
// the run and its revision). The command's idempotency key is scoped to the
// run's stream: the client's Idempotency-Key when it sent one (a retry then
// appends nothing), else a fresh random one. The event's actor is the
// authenticated principal. An unknown run is 404 E_RUN_NOT_FOUND; whatever
// decide refuses is answered with its code, and nothing is appended.
//
// After the append the handler waits, at most readYourWrites, for the read
// models that show annotations, so that the client's next GET of the run,
// its history, the re-review list or the invariant report finds it.
func (a *api) annotateRun(w http.ResponseWriter, r *http.Request, command, clientKey string, decide annotationDecider) (duplicate bool, err error) {
	world, strategy, run := runPath(r)
	stream, err := events.RunStream(world, strategy, run)
	if err != nil {
		return false, runNotFound(world, strategy, run) // no run can have such a stream
	}
	if clientKey == "" {
		clientKey = "gen:" + rand.Text()
	}
	principal, _ := PrincipalFrom(r.Context())
	meta := events.Meta{
		IdempotencyKey: command + ":" + stream + ":" + clientKey,
		OccurredAt:     a.now().UTC(),
		Actor:          principal,
		CorrelationID:  "evaluation_run:" + world + ":" + strategy + ":" + run,
	}
	res, err := aggregates.Update(r.Context(), a.repo, stream, func(st *evaluationrun.Run) ([]events.Event, error) {
		return decide(st, meta)
	})
	if errcode.Has(err, errcode.RunNotFound) {
		return false, runNotFound(world, strategy, run)
	}
	if err != nil {
		return false, err
	}
	a.models.waitFor(r.Context(), res.Position, a.readYourWrites,
		projections.RunCurrentName, projections.RunHistoryName, projections.ApprovedOverridesName, projections.InvariantsName)
	v, err := a.runView(r.Context(), time.Time{}, false, world, strategy, run)
	if err != nil {
		return false, err
	}
	writeJSON(w, http.StatusOK, withLinks(v))
	return res.Duplicate, nil
}
