package examples

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/worldval/worldval/validation/evaluation"
)

// World is the world the examples are published and submitted to.
const World = "demo"

// Strategy is one example strategy run: who submits it, at which stage, and
// the seeded model its daily return series is drawn from. The series is a
// pure function of the fields, so the same Strategy always yields the same
// returns on every machine.
type Strategy struct {
	// Name is the example's file name stem (runs/NAME.json).
	Name string
	// StrategyID and RunID identify the run in the world.
	StrategyID string
	RunID      string // See StrategyID.
	// Stage is the stage the run is submitted for: backtest or paper.
	Stage string
	// Description says in one line what the example shows.
	Description string
	// SearchIntensity is the number of variants tried before this one was
	// kept (diagnostics.search_intensity), which the deflated Sharpe ratio
	// discounts; 0 leaves it out.
	SearchIntensity float64
	// Seed seeds the return generator.
	Seed uint64
	// Regimes are the consecutive pieces of the series.
	Regimes []Regime
	// Expect is the outcome the example policy implies.
	Expect Expectation
}

// Regime is a stretch of daily returns: Days draws from a normal
// distribution with the given per-day Mean and Vol, and, on each day with
// probability CrashProb, a crash of CrashLoss instead (a loss, positive).
type Regime struct {
	// Days is the regime's length in trading days.
	Days int
	// Mean and Vol are the per-day mean and standard deviation of the
	// normal draws (per period, not annualised).
	Mean float64
	Vol  float64 // See Mean.
	// CrashProb is the probability of a crash on any one day, CrashLoss
	// its typical size (a positive fraction; each crash draws 75% to 125%
	// of it).
	CrashProb float64
	CrashLoss float64 // See CrashProb.
}

// Expectation is the verdict the example policy gives a strategy and the
// reason codes that decide it (the reason codes of the rules that do not
// pass).
type Expectation struct {
	// Verdict is pass, warn or fail.
	Verdict string
	// RecommendedStage is backtest_only or paper_only.
	RecommendedStage string
	// Reasons are reason codes that must be among the deciding ones; empty
	// for a pass.
	Reasons []string
	// Violations are metrics whose thresholds the run must break (listed
	// in the performance rule's details.violations).
	Violations []string
}

// Strategies returns the example strategies in the order the demo submits
// them: four backtests, then a paper run of the robust strategy, which is
// compared with that strategy's backtest and so must come after its
// verdict.
func Strategies() []Strategy {
	return []Strategy{
		{
			Name: "robust", StrategyID: "trend-robust", RunID: "bt-1", Stage: "backtest",
			Description:     "four years of a steady edge, few variants tried",
			SearchIntensity: 3, Seed: 5,
			Regimes: []Regime{{Days: 1008, Mean: 0.0008, Vol: 0.007}},
			Expect:  Expectation{Verdict: "pass", RecommendedStage: "backtest_only"},
		},
		{
			Name: "overfit", StrategyID: "grid-overfit", RunID: "bt-1", Stage: "backtest",
			Description:     "the best of 5,000 parameter sets: strong in the first half, nothing after",
			SearchIntensity: 5000, Seed: 5,
			Regimes: []Regime{{Days: 504, Mean: 0.0012, Vol: 0.008}, {Days: 504, Mean: 0.0000, Vol: 0.008}},
			Expect: Expectation{Verdict: "fail", RecommendedStage: "backtest_only",
				Reasons: []string{"performance_thresholds_failed", "dsr_below_min"}, Violations: []string{"deflated_sharpe_ratio"}},
		},
		{
			Name: "short", StrategyID: "news-short", RunID: "bt-1", Stage: "backtest",
			Description:     "a good-looking quarter: far too little history",
			SearchIntensity: 3, Seed: 12,
			Regimes: []Regime{{Days: 63, Mean: 0.0015, Vol: 0.008}},
			Expect: Expectation{Verdict: "fail", RecommendedStage: "backtest_only",
				Reasons:    []string{"sample_thresholds_failed", "performance_thresholds_failed"},
				Violations: []string{"effective_history_years", "n_trades_total"}},
		},
		{
			Name: "tail", StrategyID: "vol-seller", RunID: "bt-1", Stage: "backtest",
			Description:     "sells volatility: small steady gains, then a few crashes",
			SearchIntensity: 3, Seed: 18,
			Regimes: []Regime{{Days: 1008, Mean: 0.0012, Vol: 0.003, CrashProb: 0.004, CrashLoss: 0.16}},
			Expect: Expectation{Verdict: "fail", RecommendedStage: "backtest_only",
				Reasons: []string{"performance_thresholds_failed"}, Violations: []string{"es_p01", "max_drawdown"}},
		},
		{
			Name: "paper", StrategyID: "trend-robust", RunID: "paper-1", Stage: "paper",
			Description:     "a year of paper trading of the robust strategy, consistent with its backtest",
			SearchIntensity: 3, Seed: 55,
			Regimes: []Regime{{Days: 252, Mean: 0.0007, Vol: 0.007}},
			Expect:  Expectation{Verdict: "pass", RecommendedStage: "paper_only"},
		},
	}
}

// Returns draws the strategy's daily return series from its seed and
// regimes. The values are rounded to 1e-6 so that the run files stay short
// and the files and the in-memory series are the same numbers.
func (s Strategy) Returns() []float64 {
	rng := rand.New(rand.NewPCG(s.Seed, 0x776f726c6476616c)) // "worldval"
	var out []float64
	for _, r := range s.Regimes {
		for range r.Days {
			x := r.Mean + r.Vol*rng.NormFloat64()
			if r.CrashProb > 0 && rng.Float64() < r.CrashProb {
				x = -r.CrashLoss * (0.75 + 0.5*rng.Float64())
			}
			out = append(out, math.Round(x*1e6)/1e6)
		}
	}
	return out
}

// Metrics returns the metrics document submitted with the returns: only
// diagnostics.search_intensity, or nil when the strategy does not set it.
// The service derives every other metric from the returns.
func (s Strategy) Metrics() map[string]any {
	if s.SearchIntensity == 0 {
		return nil
	}
	return map[string]any{"diagnostics": map[string]any{"search_intensity": s.SearchIntensity}}
}

// RunFile renders the strategy as a run file in the format `worldval
// evaluate --run` and `worldval submit --run` read: identity, stage, the
// search intensity as metrics and the returns, one line per 21 trading days.
func (s Strategy) RunFile() ([]byte, error) {
	b, err := evaluation.EncodeRunFile(evaluation.RunFile{
		WorldID: World, StrategyID: s.StrategyID, RunID: s.RunID, Stage: s.Stage, Metrics: s.Metrics(),
		Returns: s.Returns(), HasReturns: true,
	})
	if err != nil {
		return nil, fmt.Errorf("example %s: %w", s.Name, err)
	}
	return b, nil
}
