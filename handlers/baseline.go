package handlers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/metrics"
)

// RunViewBaselines finds paper/shadow baselines in the run read model: the
// evaluated backtest run of the same world and strategy that is latest by
// (updated_at, created_at), ties going to the later submission
// (validation-core §4.7.2).
type RunViewBaselines struct {
	// Runs is the run read model; it is only read.
	Runs *projections.RunCurrent
}

// LatestBacktest implements [BaselineSource].
func (b RunViewBaselines) LatestBacktest(ctx context.Context, world, strategy string) (*metrics.Baseline, error) {
	q := projections.ListQuery{Strategy: strategy, Stage: "backtest", Status: projections.StatusEvaluated, Limit: projections.MaxListLimit}
	var best *projections.RunView
	for {
		page, err := b.Runs.List(ctx, world, q)
		if err != nil {
			return nil, fmt.Errorf("list backtest runs of %s/%s: %w", world, strategy, err)
		}
		for i := range page.Runs {
			r := &page.Runs[i]
			if best == nil || r.UpdatedAt > best.UpdatedAt || r.UpdatedAt == best.UpdatedAt && r.CreatedAt >= best.CreatedAt {
				best = r
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if best == nil {
		return nil, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(best.Metrics, &doc); err != nil {
		return nil, fmt.Errorf("baseline run %s: decode metrics: %w", best.RunID, err)
	}
	return &metrics.Baseline{RunID: best.RunID, Metrics: doc}, nil
}
