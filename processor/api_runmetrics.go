package processor

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/projections"
)

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
	world := r.PathValue("world")
	page, err := a.models.runs.ListMetricsRaw(r.Context(), world, stage, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	// The runs come encoded: the page is written around them ({"world_id", "stage", "runs": [...], "next_cursor"}).
	var b bytes.Buffer
	b.Grow(64 + len(page.NextCursor) + len(page.Runs)*1024)
	b.WriteString(`{"world_id":`)
	b.Write(jsonString(world))
	b.WriteString(`,"stage":`)
	b.Write(jsonString(stage))
	b.WriteString(`,"runs":[`)
	for i, run := range page.Runs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(run)
	}
	b.WriteByte(']')
	if page.NextCursor != "" {
		b.WriteString(`,"next_cursor":`)
		b.Write(jsonString(page.NextCursor))
	}
	b.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes()) // the status line is out; a failed body write has no one to tell
	return nil
}

// jsonString encodes s as a JSON string (without HTML escaping, as
// writeJSON writes).
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
