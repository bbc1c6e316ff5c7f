package extended

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

const benchPolicy = `{
  "validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}},
  "default_profile_by_stage": {"backtest": "backtest"},
  "cohort": {"top_k": 20, "sharpe_median_min": 0.5},
  "portfolio": {"max_incremental_var_99": 0.01, "min_portfolio_sharpe_uplift": -1},
  "benchmark": {"min_vs_benchmark_sharpe": 0},
  "stress": {"scenarios": {"crash": {"dd_max": 0.25, "es_99": 0.2}}},
  "live_monitoring": {"sharpe_min": 0, "dd_max": 0.3, "decay_threshold": 0.2}
}`

// BenchmarkPass measures the computation of one extended pass over a world
// of 200 strategies, all held by the snapshot, with a full 200×200
// covariance (one-factor, every entry given), 90 realized returns and a
// stress bucket per strategy: read the covariance into the portfolio
// (baseline), parse the stress payload, enrich every run (leave-one-out
// VaR/ES, live aggregates with VaR/ES, stress, portfolio proxies), evaluate
// the six extended layers over the cohort, apply D7/D26 and the extended
// summary, and diff every run's metrics into its patch. The event store is
// not involved (see handlers.BenchmarkExtendedWorldPass).
func BenchmarkPass(b *testing.B) {
	const n = 200
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, n)
	weights := map[string]float64{}
	realized := map[string][]float64{}
	stress := map[string]any{}
	runs := make([]Run, n)
	sigma := make([]float64, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("s%03d", i)
		weights[ids[i]] = 1.0 / n
		sigma[i] = 0.005 + 0.02*rng.Float64()
		series := make([]float64, 90)
		for j := range series {
			series[j] = 0.001 + 0.01*rng.NormFloat64()
		}
		realized[ids[i]] = series
		stress[ids[i]] = map[string]any{"crash": map[string]any{"max_drawdown": 0.1 + 0.2*rng.Float64(), "es_99": 0.1}}
		doc, err := DecodeObject(json.RawMessage(fmt.Sprintf(`{"returns": {"sharpe": %.4f, "max_drawdown": %.4f, "var_p01": 0.02}, "robustness": {"deflated_sharpe_ratio": %.4f}, "benchmark": {"sharpe": 0.5}}`,
			0.5+rng.Float64(), -0.05-0.1*rng.Float64(), rng.Float64())))
		if err != nil {
			b.Fatal(err)
		}
		res := metrics.PortfolioProxies(doc, metrics.PortfolioBaseline{})
		runs[i] = Run{StrategyID: ids[i], Metrics: res.Metrics, Derivations: res.Derivations}
	}
	cov := make(map[string]float64, n*(n+1)/2)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			rho := 0.3
			if i == j {
				rho = 1
			}
			cov[ids[i]+","+ids[j]] = rho * sigma[i] * sigma[j]
		}
	}
	stressJSON, _ := json.Marshal(stress)
	pol, err := policy.Parse([]byte(benchPolicy))
	if err != nil {
		b.Fatal(err)
	}
	held := func(id string) bool { _, ok := weights[id]; return ok }
	b.ReportAllocs()
	b.ResetTimer()
	start := processCPU(b)
	for range b.N {
		p := Pass{
			Params:   DefaultParams(),
			Hub:      NewHub(weights, cov, ids, DefaultParams()),
			Realized: func(s string) []float64 { return realized[s] },
			Stress:   ParseStress(stressJSON, held),
		}
		cands := make([]rules.Candidate, n)
		enriched := make([]Enriched, n)
		for i, r := range runs {
			enriched[i] = p.Enrich(r)
			cands[i] = rules.Candidate{StrategyID: r.StrategyID, Metrics: enriched[i].Metrics, Flat: enriched[i].Flat}
		}
		out := rules.EvaluateSet(pol, rules.SetInput{Stage: "backtest", PolicyVersion: "1", Candidates: cands})
		for i := range out.Strategies {
			var rs rules.Results
			for _, nr := range out.Strategies[i].Validation.Results {
				if IsLayer(nr.Name) {
					rs = append(rs, rules.NamedResult{Name: nr.Name, Result: WithoutQMTLPortfolioKeys(Aggregate(nr.Result))})
				}
			}
			_ = Summarize(rs)
			if len(Diff(runs[i].Metrics, enriched[i].Metrics)) == 0 {
				b.Fatal("empty patch")
			}
		}
	}
	// The machine is shared: wall time moves with other work, the
	// process's CPU time much less.
	b.ReportMetric(float64((processCPU(b)-start).Microseconds())/float64(b.N)/1000, "cpu-ms/op")
}

// processCPU returns the user and system CPU time of the process so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
