package policydiff

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// storedDoc is a run's recorded metrics document as the evaluator stores it
// (core, advanced, enrichment and health fields), with seeded values.
func storedDoc(rng *rand.Rand) map[string]any {
	sharpe := 0.02 + 0.12*rng.Float64()
	return map[string]any{
		"returns": map[string]any{"sharpe": sharpe, "max_drawdown": 0.3 * rng.Float64(), "gain_to_pain_ratio": 2 * rng.Float64(),
			"time_under_water_ratio": rng.Float64(), "var_p01": 0.03 * rng.Float64(), "es_p01": 0.04 * rng.Float64(), "max_time_under_water_days": float64(rng.IntN(200))},
		"sample": map[string]any{"effective_history_years": 1 + 4*rng.Float64(), "n_trades_total": float64(252 + rng.IntN(1000)), "n_trades_per_year": 252.0,
			"regime_coverage": map[string]any{"low_vol": 0.3, "mid_vol": 0.4, "high_vol": 0.3}},
		"risk": map[string]any{"adv_utilization_p95": 0.6 * rng.Float64(), "participation_rate_p95": 0.5 * rng.Float64(),
			"incremental_var_99": 0.1, "incremental_es_99": 0.12},
		"robustness": map[string]any{"deflated_sharpe_ratio": rng.Float64(), "probabilistic_sharpe_ratio": rng.Float64(),
			"sharpe_first_half": sharpe + 0.1*rng.NormFloat64(), "sharpe_second_half": sharpe + 0.1*rng.NormFloat64(),
			"cv_folds": 5.0, "cv_sharpe_mean": 1.1, "cv_sharpe_std": 0.3},
		"diagnostics": map[string]any{"search_intensity": 1.0, "strategy_complexity": 1.69, "lag_seconds": float64(rng.IntN(400)),
			"extra_metrics":     map[string]any{"portfolio_sharpe_uplift": 0.01, "portfolio_var_99_with_candidate": 0.1},
			"validation_health": map[string]any{"metric_coverage_ratio": 1.0, "rules_executed_ratio": 1.0, "validation_error_count": 0.0}},
	}
}

// benchRuns returns n stored runs of distinct strategies.
func benchRuns(n int) []Run {
	rng := rand.New(rand.NewPCG(7, 11))
	runs := make([]Run, n)
	for i := range runs {
		runs[i] = Run{StrategyID: fmt.Sprintf("s%06d", i), RunID: "r1", Metrics: storedDoc(rng)}
	}
	return runs
}

// benchPolicy is a full policy over the metrics storedDoc draws: sample,
// performance, robustness and liquidity limits, a tail-loss threshold and
// the paper/shadow block.
const benchPolicy = `
validation_profiles:
  backtest:
    sample: {min_effective_years: 1.5, min_trades_total: 250}
    performance: {sharpe_min: 0.05, max_dd_max: 0.25}
    robustness: {dsr_min: 0.3, cv_sharpe_gap_max: 0.3}
    risk: {adv_utilization_p95_max: 0.5, participation_rate_p95_max: 0.45}
default_profile_by_stage: {backtest_only: backtest}
selection:
  thresholds:
    tail_loss: {metric: es_p01, max: 0.035}
paper_shadow_consistency: {min_sharpe_ratio: 0.5}
`

// benchPolicies returns the bench policy (old) and a copy with a higher
// Sharpe bar (new); with topK, both also keep the top 50,000 by Sharpe, which
// ranks across the set, so each is evaluated over the whole set instead of
// chunk by chunk.
func benchPolicies(b testing.TB, topK bool) (Policy, Policy) {
	old := benchPolicy
	if topK {
		old = strings.Replace(old, "selection:\n", "selection:\n  top_k: {metric: sharpe, k: 50000}\n", 1)
	}
	neu := strings.Replace(old, "sharpe_min: 0.05", "sharpe_min: 0.07", 1)
	return Policy{Policy: mustPolicy(b, old), Version: "old"}, Policy{Policy: mustPolicy(b, neu), Version: "new"}
}

// BenchmarkDiff100k is the policy diff over 100,000 stored runs, from the
// decoded metrics documents to the report: flattening (once per run, shared
// by both policies), both evaluations and the comparison. Each iteration
// starts from unflattened runs.
func BenchmarkDiff100k(b *testing.B) {
	const n = 100_000
	src := benchRuns(n)
	for _, c := range []struct {
		name string
		topK bool
	}{{"chunked", false}, {"whole-set", true}} {
		b.Run(c.name, func(b *testing.B) {
			oldP, newP := benchPolicies(b, c.topK)
			runs := make([]Run, n)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				copy(runs, src)
				b.StartTimer()
				rep, err := Diff(context.Background(), oldP, newP, runs, Options{Stage: "backtest", FailImpactRatio: DefaultFailImpactRatio, Now: time.Unix(0, 0)})
				if err != nil {
					b.Fatal(err)
				}
				if rep.TotalStrategies != n || rep.StrategiesAffected == 0 {
					b.Fatalf("total %d, affected %d", rep.TotalStrategies, rep.StrategiesAffected)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "runs/s")
		})
	}
}
