package policy

import "math"

// Extended-layer blocks (validation-core §6.6). They apply to every stage and
// are never part of a profile. Every numeric field is optional (nil = not set).

// Cohort configures the cohort rule.
type Cohort struct {
	// SharpeMedianMin bounds the cohort's median sharpe from below.
	SharpeMedianMin *float64
	// DSRMedianMin bounds the cohort's median deflated_sharpe_ratio from below.
	DSRMedianMin *float64
	// TopK requires the strategy to be among the TopK by TopKMetric; > 0.
	TopK *int
	// TopKMetric is what the top k is ranked by (risk-hub O3):
	// [TopKMetricSharpe] or [TopKMetricDSR]; "" when not set, in which case
	// the service's configured metric applies.
	TopKMetric string
	// ExtremeSharpeMax, when set, warns every cohort member when a member's
	// sharpe exceeds it (risk-hub O4); nil defers to the service
	// configuration.
	ExtremeSharpeMax *float64
	Meta
}

// Ranking metrics of [Cohort].TopKMetric.
const (
	// TopKMetricSharpe ranks the cohort's top k by sharpe (QMTL).
	TopKMetricSharpe = "sharpe"
	// TopKMetricDSR ranks the cohort's top k by deflated_sharpe_ratio.
	TopKMetricDSR = "deflated_sharpe_ratio"
)

// Portfolio configures the portfolio rule.
type Portfolio struct {
	// MaxIncrementalVaR99 bounds incremental_var_99 from above.
	MaxIncrementalVaR99 *float64
	// MaxIncrementalES99 bounds incremental_es_99 from above.
	MaxIncrementalES99 *float64
	// MinPortfolioSharpeUplift bounds portfolio_sharpe_uplift from below.
	MinPortfolioSharpeUplift *float64
	// DefaultCorrelation, in [−1, 1], stands in for a missing covariance or
	// pairwise correlation (risk-hub O2); nil defers to the service
	// configuration.
	DefaultCorrelation *float64
	// Z99 (> 0) is the quantile of VaR99 = Z99·σp (risk-hub O15); nil
	// defers to the service configuration.
	Z99 *float64
	// ESFactor (≥ 1) is ES99/VaR99 (risk-hub O15); nil defers to the
	// service configuration.
	ESFactor *float64
	Meta
}

// Benchmark configures the benchmark rule.
type Benchmark struct {
	// MinVsBenchmarkSharpe bounds vs_benchmark_sharpe from below.
	MinVsBenchmarkSharpe *float64
	Meta
}

// Stress configures the stress rule.
type Stress struct {
	// Scenarios are the configured scenarios in document order; nil when the
	// block has no scenarios key, empty when it is an empty mapping.
	Scenarios []StressScenario
	Meta
}

// StressScenario holds the limits of one stress scenario (absolute values are
// compared with them).
type StressScenario struct {
	// Name is the scenario key; metrics are read from stress.<Name>.*.
	Name string
	// DDMax bounds |stress.<Name>.max_drawdown| (else dd_max).
	DDMax *float64
	// ES99 bounds |stress.<Name>.es_99|.
	ES99 *float64
	// VaR99 bounds |stress.<Name>.var_99|.
	VaR99 *float64
}

// PaperShadowConsistency configures the paper/shadow consistency rule.
type PaperShadowConsistency struct {
	// Stages lists the stages the rule applies to; nil or empty means
	// [paper, shadow].
	Stages []string
	// MinSharpeRatio bounds paper_vs_backtest_sharpe_ratio from below.
	MinSharpeRatio *float64
	// MaxDrawdownRatio bounds paper_vs_backtest_dd_ratio from above.
	MaxDrawdownRatio *float64
	// MaxVaRP01Ratio bounds paper_vs_backtest_var_p01_ratio from above.
	MaxVaRP01Ratio *float64
	// MaxESP01Ratio bounds paper_vs_backtest_es_p01_ratio from above.
	MaxESP01Ratio *float64
	Meta
}

// LiveMonitoring configures the live monitoring rule.
type LiveMonitoring struct {
	// LookbackDays is informational only.
	LookbackDays *int
	// DecayThreshold bounds the mean live_vs_backtest_sharpe_ratio from below.
	DecayThreshold *float64
	// SharpeMin bounds the mean live Sharpe from below.
	SharpeMin *float64
	// DDMax bounds the mean live drawdown from above.
	DDMax *float64
	// ESMax (≥ 0) bounds the mean live ES over the strategies from above
	// (risk-hub O18); nil defers to the service configuration.
	ESMax *float64
	Meta
}

var (
	cohortKeys      = []string{"sharpe_median_min", "dsr_median_min", "top_k", "top_k_metric", "extreme_sharpe_max", "severity", "owner"}
	portfolioKeys   = []string{"max_incremental_var_99", "max_incremental_es_99", "min_portfolio_sharpe_uplift", "default_correlation", "z_99", "es_factor", "severity", "owner"}
	benchmarkKeys   = []string{"min_vs_benchmark_sharpe", "severity", "owner"}
	stressKeys      = []string{"scenarios", "severity", "owner"}
	scenarioKeys    = []string{"dd_max", "es_99", "var_99"}
	paperShadowKeys = []string{"stages", "min_sharpe_ratio", "max_drawdown_ratio", "max_var_p01_ratio", "max_es_p01_ratio", "severity", "owner"}
	liveKeys        = []string{"lookback_days", "decay_threshold", "sharpe_min", "dd_max", "es_max", "severity", "owner"}
)

func (d *decoder) cohort(n *node, path string) *Cohort {
	if !d.object(n, path, cohortKeys...) {
		return nil
	}
	c := &Cohort{
		SharpeMedianMin:  d.number(n.get("sharpe_median_min"), childPath(path, "sharpe_median_min")),
		DSRMedianMin:     d.number(n.get("dsr_median_min"), childPath(path, "dsr_median_min")),
		TopK:             d.integer(n.get("top_k"), childPath(path, "top_k")),
		TopKMetric:       d.oneOf(n.get("top_k_metric"), childPath(path, "top_k_metric"), TopKMetricSharpe, TopKMetricDSR),
		ExtremeSharpeMax: d.number(n.get("extreme_sharpe_max"), childPath(path, "extreme_sharpe_max")),
		Meta:             d.meta(n, path),
	}
	if c.TopK != nil && *c.TopK <= 0 {
		d.invalid(childPath(path, "top_k"), "must be an integer > 0")
	}
	return c
}

func (d *decoder) portfolio(n *node, path string) *Portfolio {
	if !d.object(n, path, portfolioKeys...) {
		return nil
	}
	return &Portfolio{
		MaxIncrementalVaR99:      d.number(n.get("max_incremental_var_99"), childPath(path, "max_incremental_var_99")),
		MaxIncrementalES99:       d.number(n.get("max_incremental_es_99"), childPath(path, "max_incremental_es_99")),
		MinPortfolioSharpeUplift: d.number(n.get("min_portfolio_sharpe_uplift"), childPath(path, "min_portfolio_sharpe_uplift")),
		DefaultCorrelation:       d.numberIn(n.get("default_correlation"), childPath(path, "default_correlation"), -1, 1),
		Z99:                      d.positive(n.get("z_99"), childPath(path, "z_99")),
		ESFactor:                 d.numberIn(n.get("es_factor"), childPath(path, "es_factor"), 1, math.Inf(1)),
		Meta:                     d.meta(n, path),
	}
}

func (d *decoder) benchmark(n *node, path string) *Benchmark {
	if !d.object(n, path, benchmarkKeys...) {
		return nil
	}
	return &Benchmark{
		MinVsBenchmarkSharpe: d.number(n.get("min_vs_benchmark_sharpe"), childPath(path, "min_vs_benchmark_sharpe")),
		Meta:                 d.meta(n, path),
	}
}

func (d *decoder) stress(n *node, path string) *Stress {
	if !d.object(n, path, stressKeys...) {
		return nil
	}
	s := &Stress{Meta: d.meta(n, path)}
	if sc := n.get("scenarios"); !sc.isNull() {
		s.Scenarios = []StressScenario{}
		d.each(sc, childPath(path, "scenarios"), func(name string, v *node, p string) {
			if !d.object(v, p, scenarioKeys...) {
				return
			}
			s.Scenarios = append(s.Scenarios, StressScenario{
				Name:  name,
				DDMax: d.number(v.get("dd_max"), childPath(p, "dd_max")),
				ES99:  d.number(v.get("es_99"), childPath(p, "es_99")),
				VaR99: d.number(v.get("var_99"), childPath(p, "var_99")),
			})
		})
	}
	return s
}

func (d *decoder) paperShadow(n *node, path string) *PaperShadowConsistency {
	if !d.object(n, path, paperShadowKeys...) {
		return nil
	}
	ps := &PaperShadowConsistency{
		MinSharpeRatio:   d.number(n.get("min_sharpe_ratio"), childPath(path, "min_sharpe_ratio")),
		MaxDrawdownRatio: d.number(n.get("max_drawdown_ratio"), childPath(path, "max_drawdown_ratio")),
		MaxVaRP01Ratio:   d.number(n.get("max_var_p01_ratio"), childPath(path, "max_var_p01_ratio")),
		MaxESP01Ratio:    d.number(n.get("max_es_p01_ratio"), childPath(path, "max_es_p01_ratio")),
		Meta:             d.meta(n, path),
	}
	if st := n.get("stages"); !st.isNull() {
		sp := childPath(path, "stages")
		if st.kind != kList {
			d.invalid(sp, "must be a list of strings, got "+st.kind.String())
		} else {
			ps.Stages = make([]string, 0, len(st.vals))
			for i, item := range st.vals {
				if item.kind != kString {
					d.invalid(indexPath(sp, i), "must be a string, got "+item.kind.String())
					continue
				}
				ps.Stages = append(ps.Stages, item.text)
			}
		}
	}
	return ps
}

func (d *decoder) liveMonitoring(n *node, path string) *LiveMonitoring {
	if !d.object(n, path, liveKeys...) {
		return nil
	}
	return &LiveMonitoring{
		LookbackDays:   d.integer(n.get("lookback_days"), childPath(path, "lookback_days")),
		DecayThreshold: d.number(n.get("decay_threshold"), childPath(path, "decay_threshold")),
		SharpeMin:      d.number(n.get("sharpe_min"), childPath(path, "sharpe_min")),
		DDMax:          d.number(n.get("dd_max"), childPath(path, "dd_max")),
		ESMax:          d.numberIn(n.get("es_max"), childPath(path, "es_max"), 0, math.Inf(1)),
		Meta:           d.meta(n, path),
	}
}
