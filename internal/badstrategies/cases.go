package badstrategies

// World is the world the regression runs name.
const World = "regression"

// Case is one failure mode: the run to generate and what the policy must
// say about it.
type Case struct {
	// Name is the run file's stem (NAME.json).
	Name string
	// Mode names the failure mode.
	Mode string
	// StrategyID and RunID identify the run.
	StrategyID string
	RunID      string // See StrategyID.
	// Stage is the stage the run is validated for.
	Stage string
	// Description says in one line what is wrong with the strategy.
	Description string
	// Seed seeds the return generator.
	Seed uint64
	// Regimes are the consecutive pieces of the return series.
	Regimes []Regime
	// SearchIntensity is the number of variants tried before this one was
	// kept (diagnostics.search_intensity).
	SearchIntensity float64
	// Liquidity is what the runner reports about the strategy's trading.
	Liquidity Liquidity
	// Backtest, when set, are the regimes of the backtest this paper run
	// is compared with; the run file then carries the paper-vs-backtest
	// ratios the service would compute from its stored baseline.
	Backtest []Regime
	// Expect is the rule that must catch the run.
	Expect Expectation
}

// Regime is a stretch of daily returns: Days draws from a normal
// distribution with the given per-day Mean and Vol and, on each day with
// probability CrashProb, a loss of about CrashLoss instead.
type Regime struct {
	Days      int
	Mean      float64
	Vol       float64
	CrashProb float64
	CrashLoss float64
}

// Liquidity is the liquidity block a runner submits (risk.*): the 95th
// percentile of the strategy's share of average daily volume and of its
// participation rate.
type Liquidity struct {
	ADVUtilizationP95    float64
	ParticipationRateP95 float64
}

// Expectation is how the policy must catch a run: the run's verdict is not
// pass, and Rule's result is not pass with ReasonCode; when Violation is
// set, the performance rule's details.violations name that metric.
type Expectation struct {
	Rule       string
	ReasonCode string
	Violation  string
}

// liquid is what a liquid strategy reports.
func liquid() Liquidity {
	return Liquidity{ADVUtilizationP95: 0.05, ParticipationRateP95: 0.02}
}

// Cases returns the regression set, one case per failure mode, in file name
// order.
func Cases() []Case {
	return []Case{
		{
			Name: "illiquid", Mode: "liquidity", StrategyID: "smallcap-reversal", RunID: "bt-1", Stage: "backtest",
			Description: "a fine-looking small-cap reversal book that needs 85 % of a day's volume to trade",
			Seed:        41, SearchIntensity: 3,
			Regimes:   []Regime{{Days: 756, Mean: 0.0009, Vol: 0.007}},
			Liquidity: Liquidity{ADVUtilizationP95: 0.85, ParticipationRateP95: 0.3},
			Expect:    Expectation{Rule: "performance", ReasonCode: "performance_thresholds_failed", Violation: "adv_utilization_p95"},
		},
		{
			Name: "leverage-blowup", Mode: "leverage blow-up", StrategyID: "levered-carry", RunID: "bt-1", Stage: "backtest",
			Description: "carry at 5x leverage: two calm years, then a month that takes half the capital",
			Seed:        17, SearchIntensity: 3,
			Regimes: []Regime{
				{Days: 504, Mean: 0.0015, Vol: 0.009},
				{Days: 21, Mean: -0.03, Vol: 0.01},
				{Days: 231, Mean: 0.0012, Vol: 0.012},
			},
			Liquidity: liquid(),
			Expect:    Expectation{Rule: "performance", ReasonCode: "performance_thresholds_failed", Violation: "max_drawdown"},
		},
		{
			Name: "paper-decay", Mode: "decay in paper", StrategyID: "momentum-decay", RunID: "paper-1", Stage: "paper",
			Description: "a strong three-year backtest whose edge is gone once it trades on paper",
			Seed:        29, SearchIntensity: 3,
			Backtest:  []Regime{{Days: 756, Mean: 0.0012, Vol: 0.008}},
			Regimes:   []Regime{{Days: 252, Mean: -0.0004, Vol: 0.008}},
			Liquidity: liquid(),
			Expect:    Expectation{Rule: "paper_shadow_consistency", ReasonCode: "paper_shadow_sharpe_ratio_below_min"},
		},
		{
			Name: "search-overfit", Mode: "overfitting by search intensity", StrategyID: "grid-search", RunID: "bt-1", Stage: "backtest",
			Description: "the best of 20,000 parameter sets: a modest edge that the trials explain away",
			Seed:        7, SearchIntensity: 20000,
			Regimes:   []Regime{{Days: 756, Mean: 0.0006, Vol: 0.008}},
			Liquidity: liquid(),
			Expect:    Expectation{Rule: "robustness", ReasonCode: "dsr_below_min"},
		},
		{
			Name: "short-history", Mode: "short history", StrategyID: "news-burst", RunID: "bt-1", Stage: "backtest",
			Description: "four excellent months and nothing before them",
			Seed:        3, SearchIntensity: 3,
			Regimes:   []Regime{{Days: 84, Mean: 0.0015, Vol: 0.007}},
			Liquidity: liquid(),
			Expect:    Expectation{Rule: "sample", ReasonCode: "sample_thresholds_failed"},
		},
		{
			Name: "tail-risk", Mode: "tail risk", StrategyID: "short-vol", RunID: "bt-1", Stage: "backtest",
			Description: "sells crash insurance: a smooth climb with rare one-day losses of about 12 %",
			Seed:        23, SearchIntensity: 3,
			Regimes:   []Regime{{Days: 756, Mean: 0.0011, Vol: 0.003, CrashProb: 0.005, CrashLoss: 0.12}},
			Liquidity: liquid(),
			Expect:    Expectation{Rule: "performance", ReasonCode: "performance_thresholds_failed", Violation: "es_p01"},
		},
	}
}

// Control is a strategy the policy must pass: it shows that the policy
// catches the regression set for its reasons, not because it fails
// everything.
func Control() Case {
	return Case{
		Name: "control", Mode: "none", StrategyID: "steady-trend", RunID: "bt-1", Stage: "backtest",
		Description: "four years of a steady, liquid edge with few variants tried",
		Seed:        5, SearchIntensity: 3,
		Regimes:   []Regime{{Days: 1008, Mean: 0.0008, Vol: 0.007}},
		Liquidity: liquid(),
	}
}
