package metrics

import "math"

// This file holds the evaluate-time enrichment of validation-core §4.7. Every
// value is written under diagnostics.extra_metrics (or risk for the portfolio
// proxies), and only where it is null (existing values are kept).

// extraPath returns the path of an extension metric.
func extraPath(key string) []string {
	return []string{"diagnostics", "extra_metrics", key}
}

// EnrichBenchmark returns a copy of a structured metrics document with the
// benchmark comparison of validation-core §4.7.1: when benchmark.sharpe is a
// finite number, extra_metrics.benchmark_sharpe = benchmark.sharpe and, when
// the strategy Sharpe is known (a top-level sharpe key first, else
// returns.sharpe), extra_metrics.vs_benchmark_sharpe = sharpe − benchmark.sharpe.
// Both are per period. The input is never modified.
func EnrichBenchmark(metrics map[string]any) Result {
	f := &filler{doc: copyDoc(metrics)}
	f.enrichBenchmark()
	return f.result()
}

// EnrichBenchmarkInPlace is [EnrichBenchmark] filling doc itself instead of
// a copy, for a pipeline that owns doc: no one else holds it or the objects
// in it. doc must not be nil. It returns the paths it filled.
func EnrichBenchmarkInPlace(doc map[string]any) []string {
	f := &filler{doc: doc}
	f.enrichBenchmark()
	return f.filled
}

// enrichBenchmark fills the benchmark comparison into f.
func (f *filler) enrichBenchmark() {
	bench, ok := numberAt(f.doc, "benchmark", "sharpe")
	if !ok {
		return
	}
	f.num(bench, true, extraPath("benchmark_sharpe")...)
	if s, ok := metricOf(f.doc, "returns", "sharpe"); ok {
		f.num(s-bench, true, extraPath("vs_benchmark_sharpe")...)
	}
}

// Baseline is the stored backtest run that a paper or shadow run is compared
// with (validation-core §4.7.2): the latest run of the same world and strategy
// with stage backtest by (updated_at, created_at). Choosing it is the caller's
// job.
type Baseline struct {
	// RunID is the baseline run's id, written as
	// extra_metrics.paper_shadow_baseline_run_id.
	RunID string
	// Metrics is the baseline run's stored metrics document.
	Metrics map[string]any
}

// EnrichPaperShadow returns a copy of a paper or shadow run's structured
// metrics document with the comparison against its backtest baseline of
// validation-core §4.7.2. The caller applies it only when the request stage is
// paper or shadow and a baseline exists.
//
// It reads sharpe, max_drawdown (absolute value), var_p01 and es_p01 from both
// documents (a top-level key first, else the returns block) and writes
// backtest_sharpe, backtest_max_drawdown, backtest_var_p01, backtest_es_p01,
// paper_shadow_baseline_run_id and the ratios paper_vs_backtest_sharpe_ratio,
// paper_vs_backtest_dd_ratio, paper_vs_backtest_var_p01_ratio and
// paper_vs_backtest_es_p01_ratio (current / baseline, when the baseline value is
// non-zero and the current one known) under diagnostics.extra_metrics, keeping
// existing values. The inputs are never modified.
func EnrichPaperShadow(metrics map[string]any, baseline Baseline) Result {
	f := &filler{doc: copyDoc(metrics)}
	f.enrichPaperShadow(baseline)
	return f.result()
}

// EnrichPaperShadowInPlace is [EnrichPaperShadow] filling doc itself instead
// of a copy, for a pipeline that owns doc: no one else holds it or the
// objects in it. doc must not be nil. It returns the paths it filled.
func EnrichPaperShadowInPlace(doc map[string]any, baseline Baseline) []string {
	f := &filler{doc: doc}
	f.enrichPaperShadow(baseline)
	return f.filled
}

// enrichPaperShadow fills the comparison with baseline into f.
func (f *filler) enrichPaperShadow(baseline Baseline) {
	for _, m := range [...]struct{ key, store, ratio string }{
		{"sharpe", "backtest_sharpe", "paper_vs_backtest_sharpe_ratio"},
		{"max_drawdown", "backtest_max_drawdown", "paper_vs_backtest_dd_ratio"},
		{"var_p01", "backtest_var_p01", "paper_vs_backtest_var_p01_ratio"},
		{"es_p01", "backtest_es_p01", "paper_vs_backtest_es_p01_ratio"},
	} {
		base, okBase := metricOf(baseline.Metrics, "returns", m.key)
		cur, okCur := metricOf(f.doc, "returns", m.key)
		if m.key == "max_drawdown" {
			base, cur = math.Abs(base), math.Abs(cur)
		}
		f.num(base, okBase, extraPath(m.store)...)
		if okBase && okCur {
			v, ok := ratio(cur, base)
			f.num(v, ok, extraPath(m.ratio)...)
		}
	}
	if v, _ := lookup(f.doc, extraPath("paper_shadow_baseline_run_id")...); v == nil {
		f.setValue(baseline.RunID, extraPath("paper_shadow_baseline_run_id")...)
	}
}

// PortfolioBaseline is the portfolio the candidate joins (validation-core
// §4.7.3, computed by the extended worker or the risk hub). Nil or non-finite
// fields are unknown.
type PortfolioBaseline struct {
	// Sharpe is the baseline portfolio's per-period Sharpe ratio.
	Sharpe *float64
	// VaR99 is the baseline portfolio's 99 % value at risk, a loss in return
	// units (≥ 0).
	VaR99 *float64
	// ES99 is the baseline portfolio's 99 % expected shortfall, a loss in
	// return units (≥ 0).
	ES99 *float64
}

// esMultiplier is the ES/VaR ratio of the portfolio proxies (§4.7.3).
const esMultiplier = 1.2

// PortfolioProxies returns a copy of a structured metrics document with the
// portfolio proxies of validation-core §4.7.3, applied when a run is recorded
// (after the inline rule evaluation) and by the extended worker:
//
//   - risk.incremental_var_99 := baseline VaR99 if given, else
//     |returns.max_drawdown|, when null;
//   - risk.incremental_es_99 := baseline ES99 if given, else 1.2 ×
//     |incremental_var_99|, when null;
//   - extra_metrics.portfolio_baseline_sharpe/_var_99/_es_99 := the baseline
//     values that are given;
//   - extra_metrics.portfolio_sharpe_uplift := returns.sharpe − reference, the
//     reference being the baseline Sharpe, else extra_metrics
//     .portfolio_baseline_sharpe, else extra_metrics.benchmark_sharpe, else 0
//     (first non-null wins, CD9);
//   - extra_metrics.portfolio_var_99_with_candidate := baseline VaR99 (0 if
//     none) + incremental_var_99, and likewise for ES.
//
// Existing values are kept. These are heuristics; rules using them should be
// soft. The input is never modified.
func PortfolioProxies(metrics map[string]any, b PortfolioBaseline) Result {
	f := &filler{doc: copyDoc(metrics)}
	f.portfolioProxies(b)
	return f.result()
}

// PortfolioProxiesInPlace is [PortfolioProxies] filling doc itself instead
// of a copy, for a pipeline that owns doc: no one else holds it or the
// objects in it. doc must not be nil. It returns the paths it filled.
func PortfolioProxiesInPlace(doc map[string]any, b PortfolioBaseline) []string {
	f := &filler{doc: doc}
	f.portfolioProxies(b)
	return f.filled
}

// portfolioProxies fills the portfolio proxies against b into f.
func (f *filler) portfolioProxies(b PortfolioBaseline) {
	val := func(p *float64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return finite(*p)
	}
	bSharpe, okSharpe := val(b.Sharpe)
	bVaR, okVaR := val(b.VaR99)
	bES, okES := val(b.ES99)
	f.num(bSharpe, okSharpe, extraPath("portfolio_baseline_sharpe")...)
	f.num(bVaR, okVaR, extraPath("portfolio_baseline_var_99")...)
	f.num(bES, okES, extraPath("portfolio_baseline_es_99")...)

	ref, okRef := bSharpe, okSharpe
	for _, key := range [...]string{"portfolio_baseline_sharpe", "benchmark_sharpe"} {
		if !okRef {
			ref, okRef = numberAt(f.doc, extraPath(key)...)
		}
	}

	v, okV := numberAt(f.doc, "risk", "incremental_var_99")
	if !okV {
		if okVaR {
			v, okV = bVaR, true
		} else if dd, ok := numberAt(f.doc, "returns", "max_drawdown"); ok {
			v, okV = math.Abs(dd), true
		}
		f.num(v, okV, "risk", "incremental_var_99")
	}
	e, okE := numberAt(f.doc, "risk", "incremental_es_99")
	if !okE {
		if okES {
			e, okE = bES, true
		} else if okV {
			e, okE = esMultiplier*math.Abs(v), true
		}
		f.num(e, okE, "risk", "incremental_es_99")
	}

	if s, ok := numberAt(f.doc, "returns", "sharpe"); ok {
		if !okRef {
			ref = 0
		}
		f.num(s-ref, true, extraPath("portfolio_sharpe_uplift")...)
	}
	if okV {
		f.num(orZero(bVaR, okVaR)+v, true, extraPath("portfolio_var_99_with_candidate")...)
	}
	if okE {
		f.num(orZero(bES, okES)+e, true, extraPath("portfolio_es_99_with_candidate")...)
	}
}

// orZero returns x when ok, else 0.
func orZero(x float64, ok bool) float64 {
	if ok {
		return x
	}
	return 0
}
