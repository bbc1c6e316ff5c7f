package badstrategies

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/metrics"
)

// streamTag separates this generator's streams from other seeded generators
// in the repository ("badstrat").
const streamTag = 0x6261647374726174

// draw draws a return series from seed and regimes, rounded to 1e-6 so that
// the files and the in-memory series are the same numbers.
func draw(seed uint64, regimes []Regime) []float64 {
	rng := rand.New(rand.NewPCG(seed, streamTag))
	var out []float64
	for _, r := range regimes {
		for range r.Days {
			x := r.Mean + r.Vol*rng.NormFloat64()
			if r.CrashProb > 0 && rng.Float64() < r.CrashProb {
				x = -r.CrashLoss * (0.8 + 0.4*rng.Float64())
			}
			out = append(out, math.Round(x*1e6)/1e6)
		}
	}
	return out
}

// Returns draws the run's daily return series.
func (c Case) Returns() []float64 { return draw(c.Seed, c.Regimes) }

// Metrics returns the metrics document submitted with the returns: the
// search intensity, the liquidity block and, for a paper run with a
// backtest, the baseline values and paper-vs-backtest ratios that the
// service's evaluate-time enrichment writes (validation-core §4.7.2), so that
// the run file can be evaluated offline.
func (c Case) Metrics() (map[string]any, error) {
	doc := map[string]any{
		"risk": map[string]any{
			"adv_utilization_p95":    c.Liquidity.ADVUtilizationP95,
			"participation_rate_p95": c.Liquidity.ParticipationRateP95,
		},
		"diagnostics": map[string]any{"search_intensity": c.SearchIntensity},
	}
	if len(c.Backtest) == 0 {
		return doc, nil
	}
	baseline, err := returnsBlock(draw(c.Seed+1000, c.Backtest))
	if err != nil {
		return nil, fmt.Errorf("%s: backtest: %w", c.Name, err)
	}
	paper, err := returnsBlock(c.Returns())
	if err != nil {
		return nil, fmt.Errorf("%s: paper: %w", c.Name, err)
	}
	extra := map[string]any{"paper_shadow_baseline_run_id": "bt-1"}
	for _, m := range []struct{ key, base, ratio string }{
		{"sharpe", "backtest_sharpe", "paper_vs_backtest_sharpe_ratio"},
		{"max_drawdown", "backtest_max_drawdown", "paper_vs_backtest_dd_ratio"},
	} {
		b, p := baseline[m.key], paper[m.key]
		extra[m.base] = round(b)
		if b != 0 {
			extra[m.ratio] = round(p / b)
		}
	}
	doc["diagnostics"].(map[string]any)["extra_metrics"] = extra
	return doc, nil
}

// returnsBlock derives the returns block of a series through the service's
// own pipeline.
func returnsBlock(series []float64) (map[string]float64, error) {
	doc, _, err := evaluation.Metrics(evaluation.Request{Returns: series, HasReturns: true, Params: metrics.Params{}})
	if err != nil {
		return nil, err
	}
	block, _ := doc["returns"].(map[string]any)
	out := map[string]float64{}
	for k, v := range block {
		if x, ok := v.(float64); ok {
			out[k] = x
		}
	}
	return out, nil
}

// round keeps 9 significant decimals, enough for the ratios and short in
// the files.
func round(x float64) float64 { return math.Round(x*1e9) / 1e9 }

// RunFile renders the case as a run file, the returns 21 to a line (a
// trading month) so that the files stay readable.
func (c Case) RunFile() ([]byte, error) {
	m, err := c.Metrics()
	if err != nil {
		return nil, err
	}
	b, err := evaluation.EncodeRunFile(evaluation.RunFile{
		WorldID: World, StrategyID: c.StrategyID, RunID: c.RunID, Stage: c.Stage, Metrics: m,
		Returns: c.Returns(), HasReturns: true,
	})
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name, err)
	}
	return b, nil
}
