package main

import (
	"context"
	"fmt"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/metrics"
)

// maxPendingBaselineEvents is how many backtest events a replay holds before
// folding them into its run read model even when no paper or shadow run
// needs it yet.
const maxPendingBaselineEvents = 1024

// replayBaselines finds paper/shadow baselines for audit replay as of a
// submission's global position. It is the service's own rule,
// [handlers.RunViewBaselines] (the latest evaluated backtest of the world
// and strategy by updated_at, then created_at), asked of a run read model
// that the replay folds from the store in global order and that has seen
// exactly the events before the submission when it is asked.
//
// The service asks its live read model instead, when the evaluator handles
// the submission: a backtest whose verdict was recorded after the
// submission but projected before the evaluator reached it (the evaluator
// lagging) was its baseline, and one recorded before but not yet projected
// was not. Such a run differs here; that is the one input the service does
// not fix by position.
//
// Only the events of backtest runs are folded: no other run can be a
// baseline. It is used from one goroutine.
type replayBaselines struct {
	runs    *projections.RunCurrent
	pending []events.Record
	// backtests are the run streams whose submission is a backtest.
	backtests map[string]bool
	// refused counts events the read model refused to fold (history the
	// service's projection would have stalled on); firstRefusal says why.
	refused      int
	firstRefusal error
}

func newReplayBaselines(reg *events.Registry) (*replayBaselines, error) {
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), reg)
	if err != nil {
		return nil, fmt.Errorf("baseline read model: %w", err)
	}
	return &replayBaselines{runs: runs, backtests: map[string]bool{}}, nil
}

// observe takes note of a run event in global order; sub is the decoded
// submission when rec is one.
func (b *replayBaselines) observe(ctx context.Context, rec *events.Record, sub *events.EvaluationRunSubmitted) error {
	if sub != nil && sub.Stage == "backtest" {
		b.backtests[rec.Stream] = true
	}
	if !b.backtests[rec.Stream] {
		return nil
	}
	b.pending = append(b.pending, *rec)
	if len(b.pending) >= maxPendingBaselineEvents {
		return b.flush(ctx)
	}
	return nil
}

// at returns the baseline of a paper or shadow run of world and strategy
// submitted after every event observed so far.
func (b *replayBaselines) at(ctx context.Context, world, strategy string) (*metrics.Baseline, error) {
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	return handlers.RunViewBaselines{Runs: b.runs}.LatestBacktest(ctx, world, strategy)
}

// flush folds the pending events into the read model; an event it refuses
// is counted and left out, as the rest of history still counts.
func (b *replayBaselines) flush(ctx context.Context) error {
	if len(b.pending) == 0 {
		return nil
	}
	defer func() { b.pending = b.pending[:0] }()
	if err := b.runs.ApplyBatch(ctx, b.pending); err == nil {
		return nil
	} else if ctx.Err() != nil {
		return err
	}
	for i := range b.pending {
		if err := b.runs.Apply(ctx, b.pending[i]); err != nil {
			if ctx.Err() != nil {
				return err
			}
			b.refused++
			if b.firstRefusal == nil {
				b.firstRefusal = fmt.Errorf("%s version %d: %w", b.pending[i].Stream, b.pending[i].StreamVersion, err)
			}
		}
	}
	return nil
}

// pinnedBaseline is the [handlers.BaselineSource] of the replay's
// evaluator: it answers the baseline the replay found for the run it is
// deciding, as of that run's submission. The replay decides one run at a
// time and sets it before each decision.
type pinnedBaseline struct{ b *metrics.Baseline }

// LatestBacktest implements [handlers.BaselineSource].
func (p *pinnedBaseline) LatestBacktest(context.Context, string, string) (*metrics.Baseline, error) {
	return p.b, nil
}
