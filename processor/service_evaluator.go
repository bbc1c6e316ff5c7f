package processor

import (
	"fmt"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/projections"
)

// newEvaluator builds the evaluator worker: it appends through repo, finds
// paper/shadow baselines in the run read model, and reports every verdict to
// the service's metrics. now nil keeps the evaluator's own clock.
func newEvaluator(repo *aggregates.Repository, runs *projections.RunCurrent, m *Metrics, now func() time.Time) (*handlers.Evaluator, error) {
	opts := []handlers.EvaluatorOption{
		handlers.WithBaselines(handlers.RunViewBaselines{Runs: runs}),
		handlers.WithObserver(verdictMetrics{m: m}),
	}
	if now != nil {
		opts = append(opts, handlers.WithClock(now))
	}
	e, err := handlers.NewEvaluator(repo, opts...)
	if err != nil {
		return nil, fmt.Errorf("evaluator: %w", err)
	}
	return e, nil
}

// verdictMetrics counts the evaluator's verdicts and times them; it is the
// evaluator's [handlers.EvaluatorObserver].
type verdictMetrics struct{ m *Metrics }

// Evaluated records one verdict and the time from submission to verdict.
func (v verdictMetrics) Evaluated(verdict string, latency time.Duration) {
	v.m.RunCompleted(verdict)
	v.m.ObserveEvaluation(latency)
}
