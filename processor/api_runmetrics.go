package processor

import (
	"net/http"
	"strconv"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/projections"
)

// runMetricsPageResponse is one page of GET /worlds/{world}/runs/metrics.
type runMetricsPageResponse struct {
	WorldID string `json:"world_id"`
	Stage   string `json:"stage"`
	projections.MetricsPage
}

// listRunMetrics answers GET /worlds/{world}/runs/metrics?stage=S&limit=&cursor=:
// the evaluated runs of the world at stage S in submission order, each with
// only its identity, timestamps and metrics document — what a policy diff
// over history (`worldval policy diff --world`, validation-core §11.6)
// re-evaluates, at a fraction of the cost of the full run listing. stage is
// required; limit is 1…10,000 (default 1,000).
func (a *api) listRunMetrics(w http.ResponseWriter, r *http.Request) error {
	q, err := readQuery(r, "stage", "limit", "cursor")
	if err != nil {
		return err
	}
	stage := q.Get("stage")
	if stage == "" {
		return errcode.New(errcode.BadRequest, "stage is required (the stage whose evaluated runs to list)").WithDetail("parameter", "stage")
	}
	limit := 0
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > projections.MaxMetricsListLimit {
			return errcode.New(errcode.BadRequest, "limit %q is not a page size (an integer from 1 to %d)", q.Get("limit"), projections.MaxMetricsListLimit).
				WithDetail("parameter", "limit")
		}
		limit = n
	}
	rm, ok := a.models.projection(projections.RunMetricsName).p.(*projections.RunMetrics)
	if !ok {
		return errcode.New(errcode.Internal, "the run-metrics read model is not a run-metrics projection")
	}
	world := r.PathValue("world")
	page, err := rm.List(r.Context(), world, stage, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, runMetricsPageResponse{WorldID: world, Stage: stage, MetricsPage: page})
	return nil
}
