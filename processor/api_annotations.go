package processor

import (
	"net/http"
	"time"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
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
	principal, _ := PrincipalFrom(r.Context())
	res, err := a.annotate(r.Context(), world, strategy, run, command, clientKey, commandMeta{actor: principal}, decide)
	if err != nil {
		return false, err
	}
	return res.Duplicate, a.answerAnnotation(w, r, res)
}

// answerAnnotation waits, at most readYourWrites, for the read models that
// show annotations to apply res, and answers 200 with the run the path
// names.
func (a *api) answerAnnotation(w http.ResponseWriter, r *http.Request, res eventstore.AppendResult) error {
	world, strategy, run := runPath(r)
	a.models.waitFor(r.Context(), res.Position, a.readYourWrites,
		projections.RunCurrentName, projections.RunHistoryName, projections.ApprovedOverridesName)
	v, err := a.runView(r.Context(), time.Time{}, false, world, strategy, run)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withLinks(v))
	return nil
}
