package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/eventstore/sqlite/sqlitetest"
	"golang.org/x/sync/errgroup"
)

// benchBatch is the number of submissions per iteration: a full batch of
// the runner.
const benchBatch = 256

// BenchmarkEvaluator evaluates 256 submissions (over four worlds) on a
// durable SQLite store, as one HandleBatch and as 256 Handle calls;
// ns/submission is the figure to compare. The submissions carry either a
// return series of 250 periods (the metrics are derived: more CPU per run)
// or submitted metrics only. They are stored, outside the timer, before
// each iteration.
func BenchmarkEvaluator(b *testing.B) {
	for _, bc := range []struct {
		name    string
		returns bool
	}{{"returns", true}, {"metrics", false}} {
		for _, mode := range []string{"HandleBatch", "Handle"} {
			b.Run(bc.name+"/"+mode, func(b *testing.B) { benchEvaluator(b, mode, bc.returns) })
		}
	}
}

// benchEvaluator runs one case of [BenchmarkEvaluator]: mode is
// "HandleBatch" or "Handle".
func benchEvaluator(b *testing.B, mode string, returns bool) {
	ctx := context.Background()
	reg := events.Catalogue()
	store := sqlitetest.Open(b, sqlite.WithRegistry(reg))
	repo, err := aggregates.NewRepository(store, reg)
	if err != nil {
		b.Fatal(err)
	}
	worlds := []string{"w0", "w1", "w2", "w3"}
	for _, w := range worlds {
		stream, _ := events.PolicyStream(w)
		if _, err := aggregates.Update(ctx, repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
			return p.Publish(reg, worldpolicy.Publish{Meta: events.Meta{IdempotencyKey: "pub:" + w, OccurredAt: fixedNow}, WorldID: w, Policy: []byte(testPolicy)})
		}); err != nil {
			b.Fatal(err)
		}
	}
	ev, err := NewEvaluator(repo, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		recs := benchSubmissions(b, ctx, repo, rng, worlds, i, returns)
		b.StartTimer()
		if mode == "HandleBatch" {
			if err := ev.HandleBatch(ctx, recs); err != nil {
				b.Fatal(err)
			}
			continue
		}
		for _, rec := range recs {
			if err := ev.Handle(ctx, rec); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/submission")
}

// benchSubmissions stores benchBatch submissions of iteration i (appended
// concurrently, so that setting up costs a few commits) and returns them in
// global order.
func benchSubmissions(b *testing.B, ctx context.Context, repo *aggregates.Repository, rng *rand.Rand, worlds []string, i int, returns bool) []events.Record {
	b.Helper()
	head, err := repo.Store().Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]events.EvaluationRunSubmitted, benchBatch)
	for j := range reqs {
		reqs[j] = events.EvaluationRunSubmitted{
			WorldID: worlds[j%len(worlds)], StrategyID: fmt.Sprintf("s%d", j), RunID: fmt.Sprintf("r%d", i),
			Stage: "backtest", RiskTier: "unknown",
		}
		if returns {
			rets := make([]float64, 250)
			for k := range rets {
				rets[k] = appendixB[k%len(appendixB)] + 0.004*rng.NormFloat64()
			}
			reqs[j].Returns = ptrs(rets)
		} else {
			reqs[j].Metrics = json.RawMessage(fmt.Sprintf(`{"returns":{"sharpe":%.3f,"max_drawdown":%.3f}}`, 3*rng.Float64(), 0.3*rng.Float64()))
		}
	}
	var g errgroup.Group
	g.SetLimit(64)
	for _, req := range reqs {
		g.Go(func() error {
			stream, err := events.RunStream(req.WorldID, req.StrategyID, req.RunID)
			if err != nil {
				return err
			}
			_, err = aggregates.Update(ctx, repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
				return r.Submit(repo.Registry(), evaluationrun.Submit{Meta: events.Meta{IdempotencyKey: "sub:" + stream, OccurredAt: fixedNow}, Request: req})
			})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	recs, err := repo.Store().ReadAll(ctx, head, 0)
	if err != nil {
		b.Fatal(err)
	}
	if len(recs) != benchBatch {
		b.Fatalf("stored %d submissions, want %d", len(recs), benchBatch)
	}
	return recs
}
