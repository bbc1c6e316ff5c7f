package processor

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// commandSubmitRun is the command type of a submission in
// worldval_commands_ingested_total.
const commandSubmitRun = "SubmitEvaluationRun"

// submitResponse is the answer to a submission.
type submitResponse struct {
	WorldID    string   `json:"world_id"`
	StrategyID string   `json:"strategy_id"`
	RunID      string   `json:"run_id"`
	Status     string   `json:"status"`
	Links      runLinks `json:"links"`
}

// submitEvaluation answers POST /worlds/{world}/evaluations: it validates the
// request, appends EvaluationRunSubmitted through the evaluation-run
// aggregate with the caller's principal as actor, and answers 202 with the
// run's identity, status and links; the evaluator records the verdict later.
//
// Idempotency: a request whose run already exists with the same content (a
// retry, with the same idempotency key or the same explicit run_id) appends
// nothing and answers 200 with the run as it is now. The same run_id, or the
// same idempotency key without a run_id, with different content is 409
// E_RUN_ALREADY_SUBMITTED (not yet evaluated) or E_RUN_ALREADY_EVALUATED.
//
// Run ids: an explicit run_id is used as given. Without one, a request with
// an idempotency key gets eval-{strategy}-k{24 hex digits of SHA-256 over
// world, strategy and key}, so that a retry names the same run; a request
// without a key gets QMTL's eval-{strategy}-{UTC time as
// YYYYMMDDTHHMMSSffffffZ} from the server clock, made unique per process.
//
// A submission that names no model_card_version records the strategy's
// latest model card version at submission time, if it has one
// (validation-core §2.2).
//
// Nothing is appended for a rejected request. After the append the handler
// waits, at most readYourWrites, for the run and history projections to show
// the run, so that the client's next GET of any of its links finds it.
func (a *api) submitEvaluation(w http.ResponseWriter, r *http.Request) (err error) {
	duplicate := false
	defer func() { a.countCommand(commandSubmitRun, duplicate, err) }()

	body, _, err := readBody(w, r, a.maxBody, "application/json")
	if err != nil {
		return err
	}
	principal, _ := PrincipalFrom(r.Context())
	out, err := a.submitRun(r.Context(), r.PathValue("world"), body, r.Header.Get("Idempotency-Key"), commandMeta{actor: principal})
	if err != nil {
		return err
	}
	req, before, res := out.req, out.before, out.res
	duplicate = res.Duplicate

	status := string(before)
	if !duplicate || status == "" {
		status = projections.StatusEvaluating
	}
	if a.models.waitFor(r.Context(), res.Position, a.readYourWrites, projections.RunCurrentName, projections.RunHistoryName) {
		if st, err := a.models.runs.Status(r.Context(), req.WorldID, req.StrategyID, req.RunID); err == nil {
			status = st
		}
	}
	links := linksOf(req.WorldID, req.StrategyID, req.RunID)
	code := http.StatusAccepted
	if duplicate {
		code = http.StatusOK
	}
	w.Header().Set("Location", links.Self)
	writeJSON(w, code, submitResponse{WorldID: req.WorldID, StrategyID: req.StrategyID, RunID: req.RunID, Status: status, Links: links})
	return nil
}

// submissionKey returns the idempotency key of a submission's event, scoped
// to its stream so that equal client keys in two worlds never collide: the
// client's key when it gave one, else the request's hash, which makes an
// identical re-submission to the same run a no-op too.
func submissionKey(stream, clientKey string, req events.EvaluationRunSubmitted) (string, error) {
	if clientKey != "" {
		return commandSubmitRun + ":" + stream + ":key:" + clientKey, nil
	}
	hash, err := evaluationrun.RequestHash(req)
	if err != nil {
		return "", errcode.Wrap(errcode.Validation, err, "the submission cannot be hashed")
	}
	return commandSubmitRun + ":" + stream + ":" + hash, nil
}

// generateRunID returns the run id of a submission without one (see
// submitEvaluation).
func (a *api) generateRunID(world, strategy, key string) string {
	if key != "" {
		sum := sha256.Sum256([]byte("worldval/run-id\x00" + world + "\x00" + strategy + "\x00" + key))
		return "eval-" + strategy + "-k" + hex.EncodeToString(sum[:12])
	}
	t := a.runIDs.next()
	return fmt.Sprintf("eval-%s-%s%06dZ", strategy, t.Format("20060102T150405"), t.Nanosecond()/1000)
}

// runIDClock hands out strictly increasing microsecond timestamps from a
// clock, so that two runs generated in the same microsecond get distinct ids.
// It is safe for concurrent use.
type runIDClock struct {
	now  func() time.Time
	mu   sync.Mutex
	last time.Time
}

// next returns the clock's time in UTC, truncated to microseconds, and at
// least one microsecond after the previous result.
func (c *runIDClock) next() time.Time {
	t := c.now().UTC().Truncate(time.Microsecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.After(c.last) {
		t = c.last.Add(time.Microsecond)
	}
	c.last = t
	return t
}

// countCommand records one ingested command's outcome: accepted or duplicate
// on success, rejected when the caller's request was refused (4xx), failed
// when the service could not complete it (5xx).
func (a *api) countCommand(command string, duplicate bool, err error) {
	switch {
	case err == nil && duplicate:
		a.metrics.CommandIngested(command, OutcomeDuplicate)
	case err == nil:
		a.metrics.CommandIngested(command, OutcomeAccepted)
	case apiErrorOf(err).HTTPStatus() < http.StatusInternalServerError:
		a.metrics.CommandIngested(command, OutcomeRejected)
	default:
		a.metrics.CommandIngested(command, OutcomeFailed)
	}
}
