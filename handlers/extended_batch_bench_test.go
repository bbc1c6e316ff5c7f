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
	"github.com/worldval/worldval/projections"
)

// batchBench is a world of strategies with one evaluated backtest run
// each, a risk snapshot holding them all, and an extended validator that
// has passed over the world once.
type batchBench struct {
	*fixture
	runs   *projections.RunCurrent
	eval   *Evaluator
	x      *ExtendedValidator
	ids    []string
	rng    *rand.Rand
	rounds int
	// weights and stress are what each new snapshot of the world holds.
	weights map[string]float64
	stress  json.RawMessage
}

// newBatchBench builds a world of n strategies for the extended benchmarks:
// a full covariance (one-factor, σ between 0.005 and 0.025, ρ = 0.3) and 90
// realized returns per strategy offloaded to blobs, a stress payload per
// strategy, one evaluated backtest run each, and an extended validator that
// has passed over the world once (the first pass of a process seeds its
// index and loads every run).
func newBatchBench(b *testing.B, n int) *batchBench {
	ctx := context.Background()
	reg := events.Catalogue()
	store := sqlitetest.Open(b, sqlite.WithRegistry(reg))
	repo, err := aggregates.NewRepository(store, reg)
	if err != nil {
		b.Fatal(err)
	}
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), reg)
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{ctx: ctx, store: store, repo: repo, reg: reg}
	pstream, _ := events.PolicyStream("w")
	if _, err := aggregates.Update(ctx, repo, pstream, func(p *worldpolicy.Policy) ([]events.Event, error) {
		return p.Publish(reg, worldpolicy.Publish{Meta: events.Meta{IdempotencyKey: "pub", OccurredAt: fixedNow}, WorldID: "w", Policy: []byte(benchPolicy)})
	}); err != nil {
		b.Fatal(err)
	}
	eval, err := NewEvaluator(repo, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		b.Fatal(err)
	}
	bb := &batchBench{fixture: f, runs: runs, eval: eval, ids: make([]string, n), rng: rand.New(rand.NewPCG(1, 2))}
	weights := map[string]float64{}
	realized := map[string][]float64{}
	stress := map[string]any{}
	for i := range bb.ids {
		bb.ids[i] = fmt.Sprintf("s%03d", i)
		weights[bb.ids[i]] = 1.0 / float64(n)
		series := make([]float64, 90)
		for j := range series {
			series[j] = 0.001 + 0.01*bb.rng.NormFloat64()
		}
		realized[bb.ids[i]] = series
		stress[bb.ids[i]] = map[string]any{"crash": map[string]any{"max_drawdown": 0.1 + 0.2*bb.rng.Float64(), "es_99": 0.1}}
	}
	sigma := make([]float64, n)
	for i := range sigma {
		sigma[i] = 0.005 + 0.02*bb.rng.Float64()
	}
	cov := make(map[string]float64, n*(n+1)/2)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			rho := 0.3
			if i == j {
				rho = 1
			}
			cov[bb.ids[i]+","+bb.ids[j]] = rho * sigma[i] * sigma[j]
		}
	}
	covJSON, _ := json.Marshal(cov)
	realizedJSON, _ := json.Marshal(realized)
	stressJSON, _ := json.Marshal(stress)
	bb.weights, bb.stress = weights, stressJSON
	bb.evaluateRound(b) // r0 of every strategy
	bb.sync(b)
	x, err := NewExtendedValidator(repo, RunViewSource{Runs: runs}, ExtendedConfig{}, WithExtendedClock(func() time.Time { return fixedNow }),
		WithBlobResolver(memBlobs{"blob://w/covariance": covJSON, "blob://w/realized": realizedJSON}))
	if err != nil {
		b.Fatal(err)
	}
	bb.x = x
	// The first pass of a process reads the snapshots, seeds the world
	// index and loads every run once: before the timer.
	if err := x.Handle(ctx, benchSnapshot(b, f, "warm", weights, stressJSON)); err != nil {
		b.Fatal(err)
	}
	return bb
}

// evaluateRound submits and evaluates one more run of every strategy,
// later than the previous ones, and returns the events stored meanwhile:
// for each run its submission and its evaluation (MetricsComputed,
// RuleEvaluated…, EvaluationCompleted), one run trigger per strategy.
func (bb *batchBench) evaluateRound(b *testing.B) []events.Record {
	from := mustHead(b, bb.store)
	run := fmt.Sprintf("r%d", bb.rounds)
	at := fixedNow.Add(-time.Hour).Add(time.Duration(bb.rounds) * time.Minute)
	bb.rounds++
	for _, id := range bb.ids {
		m := fmt.Sprintf(`{"returns": {"sharpe": %.4f, "max_drawdown": %.4f, "var_p01": 0.02}, "robustness": {"deflated_sharpe_ratio": %.4f}, "benchmark": {"sharpe": 0.5}}`,
			0.5+bb.rng.Float64(), -0.05-0.1*bb.rng.Float64(), bb.rng.Float64())
		req := events.EvaluationRunSubmitted{WorldID: "w", StrategyID: id, RunID: run, Stage: "backtest", RiskTier: "unknown", Metrics: json.RawMessage(m)}
		stream, _ := events.RunStream("w", id, run)
		h, err := evaluationrun.RequestHash(req)
		if err != nil {
			b.Fatal(err)
		}
		req.RequestHash = h
		if _, err := aggregates.Update(bb.ctx, bb.repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
			return r.Submit(bb.reg, evaluationrun.Submit{Meta: events.Meta{IdempotencyKey: "sub:" + stream, OccurredAt: at}, Request: req})
		}); err != nil {
			b.Fatal(err)
		}
		recs, err := bb.store.ReadStream(bb.ctx, stream, 1, 1)
		if err != nil {
			b.Fatal(err)
		}
		if err := bb.eval.Handle(bb.ctx, recs[0]); err != nil {
			b.Fatal(err)
		}
	}
	recs, err := bb.store.ReadAll(bb.ctx, from, 0)
	if err != nil {
		b.Fatal(err)
	}
	return recs
}

// sync folds every stored event into the run read model.
func (bb *batchBench) sync(b *testing.B) {
	cp, _ := bb.runs.Checkpoint(bb.ctx)
	recs, err := bb.store.ReadAll(bb.ctx, cp, 0)
	if err != nil {
		b.Fatal(err)
	}
	if len(recs) > 0 {
		if err := bb.runs.ApplyBatch(bb.ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtendedRunTriggers measures the extended validation of 100
// newly evaluated runs, one per strategy of a 100-strategy backtest cohort
// (the world of BenchmarkExtendedWorldPass, at 100 strategies): the events
// of their submissions and evaluations (100 EvaluationCompleted among 800
// events) handed over as one batch — one pass over the cohort recording 100
// results — against the same events handed over one at a time, as a
// runner without batches does — 100 passes over the cohort, each recording
// one result. One op is the 100 runs; the submissions and evaluations are
// outside the timer. cpu-ms/op is the process's CPU time, steadier than
// wall time on a shared machine.
func BenchmarkExtendedRunTriggers(b *testing.B) {
	const n = 100
	for _, mode := range []string{"batch", "one_by_one"} {
		b.Run(mode, func(b *testing.B) {
			bb := newBatchBench(b, n)
			before := countType(b, bb.store, events.TypeExtendedValidationCompleted)
			b.ReportAllocs()
			b.ResetTimer()
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				recs := bb.evaluateRound(b)
				bb.sync(b)
				start := processCPU(b)
				b.StartTimer()
				if mode == "batch" {
					if err := bb.x.HandleBatch(bb.ctx, recs); err != nil {
						b.Fatal(err)
					}
				} else {
					for _, rec := range recs {
						if err := bb.x.Handle(bb.ctx, rec); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StopTimer()
				cpu += processCPU(b) - start
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu-ms/op")
			if got := countType(b, bb.store, events.TypeExtendedValidationCompleted) - before; got != n*b.N {
				b.Fatalf("%d extended results after %d rounds, want %d", got, b.N, n*b.N)
			}
		})
	}
}
