package handlers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/metrics"
)

// TestPaperRunUsesLatestBacktestFromReadModel drives the whole path: two
// evaluated backtest runs, the run read model rebuilt from the store, and a
// paper run whose enrichment must name the later backtest as its baseline.
func TestPaperRunUsesLatestBacktestFromReadModel(t *testing.T) {
	f := newFixture(t)
	f.publish(t, "w1", testPolicy)
	clock := fixedNow
	ev, _ := NewEvaluator(f.repo, WithClock(func() time.Time { clock = clock.Add(time.Minute); return clock }))
	for _, run := range []struct {
		id     string
		sharpe float64
	}{{"bt-old", 4}, {"bt-new", 2}} {
		m, _ := json.Marshal(map[string]any{"returns": map[string]any{"sharpe": run.sharpe, "max_drawdown": 0.1}})
		rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: run.id, Stage: "backtest", RiskTier: "unknown", Metrics: m})
		if err := ev.Handle(f.ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), f.reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := projections.Rebuild(f.ctx, f.store, runs); err != nil {
		t.Fatal(err)
	}
	base, err := RunViewBaselines{Runs: runs}.LatestBacktest(f.ctx, "w1", "s1")
	if err != nil || base == nil || base.RunID != "bt-new" {
		t.Fatalf("baseline %+v, %v; want bt-new", base, err)
	}
	if none, err := (RunViewBaselines{Runs: runs}).LatestBacktest(f.ctx, "w1", "other"); err != nil || none != nil {
		t.Fatalf("strategy without backtests: %+v, %v", none, err)
	}

	paper, _ := NewEvaluator(f.repo, WithBaselines(RunViewBaselines{Runs: runs}))
	rec := f.submit(t, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "p1", Stage: "paper", RiskTier: "unknown", Metrics: json.RawMessage(`{"returns":{"sharpe":1,"max_drawdown":0.1}}`)})
	if err := paper.Handle(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.Unmarshal(f.run(t, rec.Stream).Metrics, &doc)
	extra := doc["diagnostics"].(map[string]any)["extra_metrics"].(map[string]any)
	if extra["paper_shadow_baseline_run_id"] != "bt-new" {
		t.Fatalf("baseline run id %v", extra["paper_shadow_baseline_run_id"])
	}
	if r, _ := metrics.Flatten(doc).Lookup("paper_vs_backtest_sharpe_ratio"); r != 0.5 {
		t.Fatalf("sharpe ratio %v, want 1/2 against bt-new", r)
	}
}
