package processor

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/projections"
)

// runResponse is a run as GET .../runs/{run} and the listings answer it: the
// run view of validation-core §2.2 and its links.
type runResponse struct {
	projections.RunView
	Links runLinks `json:"links"`
}

// runMetricsResponse is the answer of GET .../runs/{run}/metrics
// (validation-core §13.2).
type runMetricsResponse struct {
	WorldID    string                 `json:"world_id"`
	StrategyID string                 `json:"strategy_id"`
	RunID      string                 `json:"run_id"`
	Status     string                 `json:"status"`
	Stage      string                 `json:"stage"`
	RiskTier   string                 `json:"risk_tier"`
	Metrics    json.RawMessage        `json:"metrics"`
	Validation projections.Validation `json:"validation"`
	Summary    projections.Summary    `json:"summary"`
	CreatedAt  string                 `json:"created_at"`
	UpdatedAt  string                 `json:"updated_at"`
	Links      runLinks               `json:"links"`
}

// runListResponse is one page of a run listing.
type runListResponse struct {
	WorldID    string        `json:"world_id"`
	Runs       []runResponse `json:"runs"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// withLinks adds the links to a run view.
func withLinks(v projections.RunView) runResponse {
	return runResponse{RunView: v, Links: linksOf(v.WorldID, v.StrategyID, v.RunID)}
}

// runView reads one run now, or as of at when asOf is set. An unknown run is
// E_RUN_NOT_FOUND.
func (a *api) runView(ctx context.Context, at time.Time, asOf bool, world, strategy, run string) (projections.RunView, error) {
	var v projections.RunView
	var err error
	if asOf {
		v, err = a.models.asOf.Run(ctx, at, world, strategy, run)
	} else {
		v, err = a.models.runs.Get(ctx, world, strategy, run)
	}
	if errors.Is(err, projections.ErrNotFound) {
		return v, runNotFound(world, strategy, run)
	}
	return v, err
}

// runNotFound is the error of a run that does not exist (or did not yet, as
// of the instant asked).
func runNotFound(world, strategy, run string) error {
	return errcode.New(errcode.RunNotFound, "evaluation run %s/%s/%s not found", world, strategy, run).
		WithDetail("world_id", world).WithDetail("strategy_id", strategy).WithDetail("run_id", run)
}

// runPath returns the path parameters of a run route.
func runPath(r *http.Request) (world, strategy, run string) {
	return r.PathValue("world"), r.PathValue("strategy"), r.PathValue("run")
}

// getRun answers GET /worlds/{world}/strategies/{strategy}/runs/{run}: the
// run with its status, results and links.
func (a *api) getRun(w http.ResponseWriter, r *http.Request) error {
	at, asOf, err := readAsOf(r)
	if err != nil {
		return err
	}
	world, strategy, run := runPath(r)
	v, err := a.runView(r.Context(), at, asOf, world, strategy, run)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withLinks(v))
	return nil
}

// getRunMetrics answers GET .../runs/{run}/metrics: the evaluated run's
// metrics, results and summary; 409 E_RUN_NOT_EVALUATED while it is still
// evaluating.
func (a *api) getRunMetrics(w http.ResponseWriter, r *http.Request) error {
	at, asOf, err := readAsOf(r)
	if err != nil {
		return err
	}
	world, strategy, run := runPath(r)
	v, err := a.runView(r.Context(), at, asOf, world, strategy, run)
	if err != nil {
		return err
	}
	if v.Status != projections.StatusEvaluated {
		return (&errcode.Error{Code: errcode.RunNotEvaluated}).
			WithDetail("world_id", world).WithDetail("strategy_id", strategy).WithDetail("run_id", run).
			WithDetail("status", v.Status)
	}
	writeJSON(w, http.StatusOK, runMetricsResponse{
		WorldID: v.WorldID, StrategyID: v.StrategyID, RunID: v.RunID, Status: v.Status, Stage: v.Stage, RiskTier: v.RiskTier,
		Metrics: v.Metrics, Validation: v.Validation, Summary: v.Summary, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		Links: linksOf(world, strategy, run),
	})
	return nil
}

// getRunHistory answers GET .../runs/{run}/history: every revision of the
// run, ascending (validation-core §2.5, §13.2); 404 for an unknown run.
func (a *api) getRunHistory(w http.ResponseWriter, r *http.Request) error {
	at, asOf, err := readAsOf(r)
	if err != nil {
		return err
	}
	world, strategy, run := runPath(r)
	var h []projections.HistoryEntry
	if asOf {
		h, err = a.models.asOf.History(r.Context(), at, world, strategy, run)
	} else {
		h, err = a.models.history.History(r.Context(), world, strategy, run)
	}
	if errors.Is(err, projections.ErrNotFound) || (err == nil && len(h) == 0) {
		return runNotFound(world, strategy, run)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

// listRuns answers GET /worlds/{world}/runs: one page of the world's runs in
// submission order, filtered by strategy, stage, status and verdict.
func (a *api) listRuns(w http.ResponseWriter, r *http.Request) error {
	return a.listRunsOf(w, r, r.PathValue("world"), "", "strategy")
}

// listStrategyRuns answers GET /worlds/{world}/strategies/{strategy}/runs:
// listRuns for one strategy.
func (a *api) listStrategyRuns(w http.ResponseWriter, r *http.Request) error {
	return a.listRunsOf(w, r, r.PathValue("world"), r.PathValue("strategy"))
}

// listRunsOf serves a run listing of world; strategy, when set, is fixed by
// the path, and filters are the query parameters accepted besides the
// common ones.
func (a *api) listRunsOf(w http.ResponseWriter, r *http.Request, world, strategy string, filters ...string) error {
	q, err := readQuery(r, append([]string{"stage", "status", "verdict", "limit", "cursor", asOfParam}, filters...)...)
	if err != nil {
		return err
	}
	at, asOf, err := parseAsOf(q)
	if err != nil {
		return err
	}
	lq := projections.ListQuery{Strategy: strategy, Stage: q.Get("stage"), Status: q.Get("status"), Verdict: q.Get("verdict"), Cursor: q.Get("cursor")}
	if s := q.Get("strategy"); strategy == "" && s != "" {
		lq.Strategy = s
	}
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 {
			return errcode.New(errcode.BadRequest, "limit %q is not a page size (an integer from 1 to %d)", q.Get("limit"), projections.MaxListLimit).
				WithDetail("parameter", "limit")
		}
		lq.Limit = n
	}
	var page projections.RunPage
	if asOf {
		page, err = a.models.asOf.Runs(r.Context(), at, world, lq)
	} else {
		page, err = a.models.runs.List(r.Context(), world, lq)
	}
	if err != nil {
		return err
	}
	out := runListResponse{WorldID: world, Runs: make([]runResponse, len(page.Runs)), NextCursor: page.NextCursor}
	for i, v := range page.Runs {
		out.Runs[i] = withLinks(v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
