package rules

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/worldval/worldval/validation/policy"
)

// ruleCase is one expectation on one rule result of a single-strategy
// evaluation.
type ruleCase struct {
	name     string
	policy   string
	stage    string
	metrics  map[string]any
	previous []string
	corr     []Correlation
	set      []Candidate // when set, a set evaluation; the first candidate is checked
	rule     string
	status   Status
	severity policy.Severity
	owner    policy.Owner
	code     string
	details  map[string]any // expected subset of details
}

func (c ruleCase) run(t *testing.T) RuleResult {
	t.Helper()
	p := pol(t, c.policy)
	if c.set != nil {
		out := EvaluateSet(p, SetInput{Stage: c.stage, Candidates: c.set, Previous: c.previous, Correlations: c.corr})
		r, ok := out.Strategies[0].Validation.Results.Get(c.rule)
		if !ok {
			t.Fatalf("no %s result", c.rule)
		}
		return r
	}
	in := Input{StrategyID: "s1", Stage: c.stage, Metrics: c.metrics, Previous: c.previous, Correlations: c.corr}
	return result(t, p, in, c.rule)
}

// ruleCases covers every branch of every rule and every reason code of
// validation-core Appendix A.
func ruleCases() []ruleCase {
	lag := "thresholds: {lag: {metric: lag_seconds, max: 300}, fresh: {metric: freshness_s}}\n"
	return []ruleCase{
		// data_currency (§7.7.1)
		{name: "dc ok", policy: lag, metrics: doc("lag_seconds", 10, "freshness_s", 1), rule: DataCurrency,
			status: Pass, severity: policy.Blocking, owner: policy.Ops, code: "data_currency_ok",
			details: map[string]any{"missing_metrics": []string{}, "policy_on_missing_metric": "fail"}},
		{name: "dc available metrics sorted", policy: "{}", metrics: doc("returns.sharpe", 1, "diagnostics.b", 2, "a", 3), rule: DataCurrency,
			status: Pass, severity: policy.Blocking, owner: policy.Ops, code: "data_currency_ok",
			details: map[string]any{"available_metrics": []string{"a", "b", "diagnostics.b", "returns.sharpe", "sharpe"}}},
		{name: "dc ok without thresholds", policy: "{}", metrics: good(), rule: DataCurrency,
			status: Pass, severity: policy.Blocking, owner: policy.Ops, code: "data_currency_ok"},
		{name: "dc empty metrics fail", policy: "{}", metrics: nil, rule: DataCurrency,
			status: Fail, severity: policy.Blocking, owner: policy.Ops, code: "metrics_missing",
			details: map[string]any{"available_metrics": []string{}}},
		{name: "dc only non-numeric metrics", policy: "{}", metrics: doc("diagnostics.returns_source", "x", "returns.sharpe", nil), rule: DataCurrency,
			status: Fail, severity: policy.Blocking, owner: policy.Ops, code: "metrics_missing"},
		{name: "dc empty metrics warn", policy: "validation: {on_missing_metric: warn}", metrics: doc(), rule: DataCurrency,
			status: Warn, severity: policy.Blocking, owner: policy.Ops, code: "metrics_missing"},
		{name: "dc empty metrics ignore", policy: "validation: {on_missing_metric: ignore}", metrics: doc(), rule: DataCurrency,
			status: Warn, severity: policy.Info, owner: policy.Ops, code: "metrics_missing"},
		{name: "dc missing fail", policy: lag, metrics: doc("returns.sharpe", 1), rule: DataCurrency,
			status: Fail, severity: policy.Blocking, owner: policy.Ops, code: "missing_metric",
			details: map[string]any{"missing_metrics": []string{"lag_seconds", "freshness_s"}}},
		{name: "dc missing warn", policy: lag + "validation: {on_missing_metric: warn}", metrics: doc("lag_seconds", 1), rule: DataCurrency,
			status: Warn, severity: policy.Blocking, owner: policy.Ops, code: "missing_metric",
			details: map[string]any{"missing_metrics": []string{"freshness_s"}, "policy_on_missing_metric": "warn"}},
		{name: "dc missing ignore", policy: lag + "validation: {on_missing_metric: ignore}", metrics: doc("x", 1), rule: DataCurrency,
			status: Warn, severity: policy.Info, owner: policy.Ops, code: "missing_metric_ignored"},
		{name: "dc bound breach is not its business", policy: lag, metrics: doc("lag_seconds", 900, "freshness_s", 1), rule: DataCurrency,
			status: Pass, severity: policy.Blocking, owner: policy.Ops, code: "data_currency_ok"},
		{name: "dc profile cannot override", policy: "validation_profiles: {p: {risk: {severity: soft, owner: quant}}}\n" + lag, metrics: doc("x", 1), rule: DataCurrency,
			status: Fail, severity: policy.Blocking, owner: policy.Ops, code: "missing_metric"},

		// sample (§7.7.2)
		{name: "sample ok", policy: "{}", metrics: good(), rule: Sample,
			status: Pass, severity: policy.Soft, owner: policy.Quant, code: "sample_ok",
			details: map[string]any{"sample_metrics": map[string]float64{"effective_history_years": 3, "n_trades_total": 756, "n_trades_per_year": 252}}},
		{name: "sample missing (E01)", policy: "{}", metrics: doc("returns.sharpe", 1.2), rule: Sample,
			status: Warn, severity: policy.Soft, owner: policy.Quant, code: "sample_metrics_missing",
			details: map[string]any{"sample_metrics": map[string]float64{}}},
		{name: "sample zero values warn", policy: "{}", metrics: doc("sample.n_trades_total", 0, "sample.sample_days", -1), rule: Sample,
			status: Warn, severity: policy.Soft, owner: policy.Quant, code: "sample_metrics_missing"},
		{name: "sample thresholds fail", policy: "validation_profiles: {p: {sample: {min_effective_years: 5, min_trades_total: 100, severity: info, owner: ops}}}",
			metrics: good(), rule: Sample, status: Fail, severity: policy.Info, owner: policy.Ops, code: "sample_thresholds_failed"},
		{name: "sample threshold missing ignores on_missing_metric", policy: "validation: {on_missing_metric: ignore}\nvalidation_profiles: {p: {sample: {min_trades_total: 10}}}",
			metrics: doc("returns.sharpe", 1), rule: Sample, status: Fail, severity: policy.Soft, owner: policy.Quant, code: "sample_thresholds_failed"},
		{name: "sample CD7 trades_60d", policy: "thresholds: {t: {metric: trades_60d, min: 10}}", metrics: doc("diagnostics.extra_metrics.trades_60d", 12), rule: Sample,
			status: Pass, severity: policy.Soft, owner: policy.Quant, code: "sample_ok",
			details: map[string]any{"sample_metrics": map[string]float64{"trades_60d": 12}}},
		{name: "sample CD7 dotted", policy: "thresholds: {t: {metric: sample.n_trades_total, min: 10}}", metrics: doc("sample.n_trades_total", 12), rule: Sample,
			status: Pass, severity: policy.Soft, owner: policy.Quant, code: "sample_ok"},

		// performance (§7.7.3)
		{name: "performance ok", policy: "{}", metrics: good(), rule: Performance,
			status: Pass, severity: policy.Blocking, owner: policy.Quant, code: "performance_ok",
			details: map[string]any{"rank": 0, "top_k": nil}},
		{name: "performance below min", policy: "validation_profiles: {p: {performance: {sharpe_min: 0.5, severity: soft, owner: risk}}}", metrics: good(), rule: Performance,
			status: Fail, severity: policy.Soft, owner: policy.Risk, code: "performance_thresholds_failed"},
		{name: "performance above max", policy: "validation_profiles: {p: {performance: {max_dd_max: 0.05}}}", metrics: good(), rule: Performance,
			status: Fail, severity: policy.Blocking, owner: policy.Quant, code: "performance_thresholds_failed"},
		{name: "performance missing fail", policy: "thresholds: {x: {metric: nope, min: 1}}", metrics: good(), rule: Performance,
			status: Fail, severity: policy.Blocking, owner: policy.Quant, code: "performance_thresholds_failed"},
		{name: "performance missing warn", policy: "thresholds: {x: {metric: nope, min: 1}}\nvalidation: {on_missing_metric: warn}", metrics: good(), rule: Performance,
			status: Warn, severity: policy.Blocking, owner: policy.Quant, code: "performance_metrics_missing",
			details: map[string]any{"policy_on_missing_metric": "warn"}},
		{name: "performance missing ignore", policy: "thresholds: {x: {metric: nope, min: 1}}\nvalidation: {on_missing_metric: ignore}", metrics: good(), rule: Performance,
			status: Pass, severity: policy.Blocking, owner: policy.Quant, code: "performance_ok"},
		{name: "performance breach beats missing warn", policy: "thresholds: {x: {metric: nope}, y: {metric: sharpe, min: 9}}\nvalidation: {on_missing_metric: warn}", metrics: good(), rule: Performance,
			status: Fail, severity: policy.Blocking, owner: policy.Quant, code: "performance_thresholds_failed"},
		{name: "performance soft sample does not soften (E12)", policy: "validation_profiles: {p: {sample: {min_trades_total: 1000, severity: soft}}}", metrics: good(), rule: Performance,
			status: Fail, severity: policy.Blocking, owner: policy.Quant, code: "performance_thresholds_failed"},
		{name: "performance dsr_min threshold (E14)", policy: "validation_profiles: {p: {robustness: {dsr_min: 0.95, severity: soft}}}", metrics: good(), rule: Performance,
			status: Fail, severity: policy.Blocking, owner: policy.Quant, code: "performance_thresholds_failed"},
		{name: "performance risk thresholds", policy: "validation_profiles: {p: {risk: {adv_utilization_p95_max: 0.05, severity: soft}}}", metrics: good(), rule: Performance,
			status: Fail, severity: policy.Blocking, owner: policy.Quant, code: "performance_thresholds_failed"},
		{name: "performance data-currency bound", policy: "thresholds: {lag: {metric: lag_seconds, max: 5}}", metrics: doc("lag_seconds", 6), rule: Performance,
			status: Fail, severity: policy.Blocking, owner: policy.Quant, code: "performance_thresholds_failed"},
		{name: "performance top_k in", policy: "top_k: {metric: sharpe, k: 1}", metrics: good(), rule: Performance,
			status: Pass, severity: policy.Blocking, owner: policy.Quant, code: "performance_ok",
			details: map[string]any{"rank": 0, "top_k": 1}},
		{name: "performance rank outside top_k", policy: "top_k: {metric: sharpe, k: 1}", rule: Performance,
			set:    []Candidate{{StrategyID: "b", Metrics: doc("sharpe", 1)}, {StrategyID: "a", Metrics: doc("sharpe", 2)}},
			status: Fail, severity: policy.Blocking, owner: policy.Quant, code: "performance_rank_outside_top_k",
			details: map[string]any{"rank": 1, "top_k": 1}},

		// risk_constraint (§7.7.4)
		{name: "risk not configured", policy: "{}", metrics: good(), rule: RiskConstraint,
			status: Pass, severity: policy.Info, owner: policy.Risk, code: "risk_constraints_not_configured", details: map[string]any{}},
		{name: "risk not configured ignores profile severity", policy: "validation_profiles: {p: {risk: {severity: soft, owner: ops}}}", metrics: good(), rule: RiskConstraint,
			status: Pass, severity: policy.Info, owner: policy.Ops, code: "risk_constraints_not_configured"},
		{name: "risk ok", policy: "correlation: {max: 0.5}\nvalidation_profiles: {p: {risk: {severity: soft}}}", metrics: good(), rule: RiskConstraint,
			status: Pass, severity: policy.Soft, owner: policy.Risk, code: "risk_constraints_ok"},
		{name: "risk correlation", policy: "correlation: {max: 0.5}", rule: RiskConstraint,
			set:  []Candidate{{StrategyID: "b", Metrics: good()}, {StrategyID: "a", Metrics: good()}},
			corr: []Correlation{{A: "b", B: "a", Rho: 0.9}},
			// b is selected first; a is blocked, so check the second candidate via a reversed set.
			status: Pass, severity: policy.Blocking, owner: policy.Risk, code: "risk_constraints_ok"},
		{name: "risk correlation blocked", policy: "correlation: {max: 0.5}", rule: RiskConstraint,
			set:    []Candidate{{StrategyID: "a", Metrics: good()}},
			corr:   []Correlation{{A: "a", B: "z", Rho: 0.9}},
			status: Pass, severity: policy.Blocking, owner: policy.Risk, code: "risk_constraints_ok"},
		{name: "risk hysteresis not entered", policy: "hysteresis: {metric: sharpe, enter: 0.2, exit: 0.1}", metrics: good(), rule: RiskConstraint,
			status: Fail, severity: policy.Blocking, owner: policy.Risk, code: "hysteresis_not_entered",
			details: map[string]any{"metric": "sharpe", "previously_active": false, "mode": "enter", "value": 0.12}},
		{name: "risk hysteresis exit", policy: "hysteresis: {metric: sharpe, enter: 0.2, exit: 0.15}", metrics: good(), previous: []string{"x", "s1"}, rule: RiskConstraint,
			status: Fail, severity: policy.Blocking, owner: policy.Risk, code: "hysteresis_exit",
			details: map[string]any{"previously_active": true, "mode": "exit"}},
		{name: "risk hysteresis stays", policy: "hysteresis: {metric: sharpe, enter: 0.2, exit: 0.1}", metrics: good(), previous: []string{"s1"}, rule: RiskConstraint,
			status: Pass, severity: policy.Blocking, owner: policy.Risk, code: "risk_constraints_ok"},
		{name: "risk hysteresis metric missing passes", policy: "hysteresis: {metric: nope, enter: 0.2, exit: 0.1}", metrics: good(), rule: RiskConstraint,
			status: Pass, severity: policy.Blocking, owner: policy.Risk, code: "risk_constraints_ok"},

		// robustness (§7.7.5)
		{name: "robustness ok", policy: "validation_profiles: {p: {robustness: {dsr_min: 0.5, cv_sharpe_gap_max: 0.1}}}", metrics: good(), rule: Robustness,
			status: Pass, severity: policy.Soft, owner: policy.Quant, code: "robustness_ok",
			details: map[string]any{"deflated_sharpe_ratio": 0.9, "cv_sharpe_mean": nil, "cv_sharpe_std": nil}},
		{name: "robustness nothing configured", policy: "{}", metrics: doc("x", 1), rule: Robustness,
			status: Pass, severity: policy.Soft, owner: policy.Quant, code: "robustness_ok",
			details: map[string]any{"deflated_sharpe_ratio": nil, "sharpe_first_half": nil}},
		{name: "robustness dsr missing", policy: "validation_profiles: {p: {robustness: {dsr_min: 0.5}}}\nvalidation: {on_missing_metric: ignore}", metrics: doc("x", 1), rule: Robustness,
			status: Warn, severity: policy.Soft, owner: policy.Quant, code: "dsr_missing"},
		{name: "robustness dsr below", policy: "validation_profiles: {p: {robustness: {dsr_min: 0.95, severity: blocking, owner: risk}}}", metrics: good(), rule: Robustness,
			status: Fail, severity: policy.Blocking, owner: policy.Risk, code: "dsr_below_min", details: map[string]any{"dsr_min": 0.95}},
		{name: "robustness gap", policy: "validation_profiles: {p: {robustness: {cv_sharpe_gap_max: 0.01}}}", metrics: good(), rule: Robustness,
			status: Fail, severity: policy.Soft, owner: policy.Quant, code: "cv_sharpe_gap_exceeds_max", details: map[string]any{"cv_sharpe_gap_max": 0.01}},
		{name: "robustness dsr missing then gap", policy: "validation_profiles: {p: {robustness: {dsr_min: 0.5, cv_sharpe_gap_max: 0.01}}}",
			metrics: doc("sharpe_first_half", 0.5, "sharpe_second_half", 0.1), rule: Robustness,
			status: Fail, severity: policy.Soft, owner: policy.Quant, code: "dsr_missing"},
		{name: "robustness gap without halves", policy: "validation_profiles: {p: {robustness: {cv_sharpe_gap_max: 0.01}}}", metrics: doc("sharpe_first_half", 0.5), rule: Robustness,
			status: Pass, severity: policy.Soft, owner: policy.Quant, code: "robustness_ok"},
		{name: "robustness uses the chosen profile only", policy: "validation_profiles: {backtest: {}, paper: {robustness: {dsr_min: 0.99}}}", stage: "backtest", metrics: good(), rule: Robustness,
			status: Pass, severity: policy.Soft, owner: policy.Quant, code: "robustness_ok"},

		// cohort (§7.8.1)
		{name: "cohort ok", policy: "cohort: {sharpe_median_min: 0.1, dsr_median_min: 0.5, top_k: 1}", metrics: good(), rule: Cohort,
			status: Pass, severity: policy.Soft, owner: policy.Risk, code: "cohort_ok",
			details: map[string]any{"median_sharpe": 0.12, "median_dsr": 0.9, "top_k": 1, "selected_in_top_k": true}},
		{name: "cohort median sharpe missing", policy: "cohort: {sharpe_median_min: 0.1}", metrics: doc("x", 1), rule: Cohort,
			status: Warn, severity: policy.Soft, owner: policy.Risk, code: "median_sharpe_missing", details: map[string]any{"selected_in_top_k": nil, "top_k": nil}},
		{name: "cohort median sharpe below", policy: "cohort: {sharpe_median_min: 0.5, severity: blocking, owner: quant}", metrics: good(), rule: Cohort,
			status: Fail, severity: policy.Blocking, owner: policy.Quant, code: "cohort_median_sharpe_below_min", details: map[string]any{"sharpe_median_min": 0.5}},
		{name: "cohort median dsr missing", policy: "cohort: {dsr_median_min: 0.1}", metrics: doc("sharpe", 1), rule: Cohort,
			status: Warn, severity: policy.Soft, owner: policy.Risk, code: "median_dsr_missing"},
		{name: "cohort median dsr below", policy: "cohort: {dsr_median_min: 0.95}", metrics: good(), rule: Cohort,
			status: Fail, severity: policy.Soft, owner: policy.Risk, code: "cohort_median_dsr_below_min", details: map[string]any{"dsr_median_min": 0.95}},
		{name: "cohort top_k unavailable", policy: "cohort: {top_k: 2}", metrics: doc("x", 1), rule: Cohort,
			status: Warn, severity: policy.Soft, owner: policy.Risk, code: "top_k_unavailable"},
		{name: "cohort top_k exceeded", policy: "cohort: {top_k: 1}", rule: Cohort,
			set:    []Candidate{{StrategyID: "low", Metrics: doc("sharpe", 0.1)}, {StrategyID: "high", Metrics: doc("sharpe", 0.2)}},
			status: Fail, severity: policy.Soft, owner: policy.Risk, code: "cohort_top_k_exceeded", details: map[string]any{"selected_in_top_k": false, "median_sharpe": 0.15000000000000002}},
		{name: "cohort CD11 fail then missing stays fail", policy: "cohort: {sharpe_median_min: 0.5, dsr_median_min: 0.1}", metrics: doc("sharpe", 0.1), rule: Cohort,
			status: Fail, severity: policy.Soft, owner: policy.Risk, code: "cohort_median_sharpe_below_min"},
		{name: "cohort CD11 missing then fail", policy: "cohort: {dsr_median_min: 0.1, top_k: 1}", rule: Cohort,
			set:    []Candidate{{StrategyID: "low", Metrics: doc("sharpe", 0.1)}, {StrategyID: "high", Metrics: doc("sharpe", 0.2)}},
			status: Fail, severity: policy.Soft, owner: policy.Risk, code: "median_dsr_missing"},

		// portfolio (§7.8.2)
		{name: "portfolio ok", policy: "portfolio: {max_incremental_var_99: 0.2, max_incremental_es_99: 0.3, min_portfolio_sharpe_uplift: 0}",
			metrics: doc("risk.incremental_var_99", 0.1, "risk.incremental_es_99", 0.12, "diagnostics.extra_metrics.portfolio_sharpe_uplift", 0.01), rule: Portfolio,
			status: Pass, severity: policy.Soft, owner: policy.Risk, code: "portfolio_ok",
			details: map[string]any{"max_incremental_var_99": 0.1, "incremental_var_99": 0.1, "max_incremental_es_99": 0.12, "portfolio_sharpe_uplift": 0.01}},
		{name: "portfolio var missing", policy: "portfolio: {max_incremental_var_99: 0.2}", metrics: good(), rule: Portfolio,
			status: Warn, severity: policy.Soft, owner: policy.Risk, code: "incremental_var_missing", details: map[string]any{"max_incremental_var_99": nil}},
		{name: "portfolio var exceeds", policy: "portfolio: {max_incremental_var_99: 0.05, owner: ops}", metrics: doc("risk.incremental_var_99", 0.1), rule: Portfolio,
			status: Fail, severity: policy.Soft, owner: policy.Ops, code: "incremental_var_exceeds_max", details: map[string]any{"incremental_var_99_max": 0.05}},
		{name: "portfolio es missing", policy: "portfolio: {max_incremental_es_99: 0.2}", metrics: good(), rule: Portfolio,
			status: Warn, severity: policy.Soft, owner: policy.Risk, code: "incremental_es_missing"},
		{name: "portfolio es exceeds", policy: "portfolio: {max_incremental_es_99: 0.05}", metrics: doc("risk.incremental_es_99", 0.1), rule: Portfolio,
			status: Fail, severity: policy.Soft, owner: policy.Risk, code: "incremental_es_exceeds_max", details: map[string]any{"incremental_es_99_max": 0.05}},
		{name: "portfolio uplift missing", policy: "portfolio: {min_portfolio_sharpe_uplift: 0}", metrics: good(), rule: Portfolio,
			status: Warn, severity: policy.Soft, owner: policy.Risk, code: "portfolio_sharpe_uplift_missing"},
		{name: "portfolio uplift below", policy: "portfolio: {min_portfolio_sharpe_uplift: 0.1}", metrics: doc("portfolio_sharpe_uplift", 0.0), rule: Portfolio,
			status: Fail, severity: policy.Soft, owner: policy.Risk, code: "portfolio_sharpe_uplift_below_min", details: map[string]any{"min_portfolio_sharpe_uplift": 0.1}},

		// benchmark (§7.8.3)
		{name: "benchmark ok", policy: "benchmark: {min_vs_benchmark_sharpe: 0}", stage: "paper",
			metrics: doc("returns.sharpe", 0.12, "benchmark.sharpe", 0.1, "diagnostics.extra_metrics.benchmark_sharpe", 0.1, "diagnostics.extra_metrics.vs_benchmark_sharpe", 0.02), rule: Benchmark,
			status: Pass, severity: policy.Soft, owner: policy.Quant, code: "benchmark_ok",
			details: map[string]any{"stage": "paper", "sharpe": 0.12, "benchmark_sharpe": 0.1, "vs_benchmark_sharpe": 0.02}},
		{name: "benchmark missing", policy: "benchmark: {min_vs_benchmark_sharpe: 0}", metrics: good(), rule: Benchmark,
			status: Warn, severity: policy.Soft, owner: policy.Quant, code: "benchmark_uplift_missing", details: map[string]any{"stage": nil}},
		{name: "benchmark below", policy: "benchmark: {min_vs_benchmark_sharpe: 0.05, severity: blocking, owner: risk}", metrics: doc("vs_benchmark_sharpe", 0.01), rule: Benchmark,
			status: Fail, severity: policy.Blocking, owner: policy.Risk, code: "benchmark_uplift_below_min", details: map[string]any{"min_vs_benchmark_sharpe": 0.05}},
		{name: "benchmark no limit", policy: "benchmark: {}", metrics: doc("x", 1), rule: Benchmark,
			status: Pass, severity: policy.Soft, owner: policy.Quant, code: "benchmark_ok"},

		// stress (§7.8.4)
		{name: "stress ok", policy: "stress: {scenarios: {crash: {dd_max: 0.3, es_99: 0.25, var_99: 0.2}}}",
			metrics: doc("stress.crash.max_drawdown", -0.2, "stress.crash.es_99", 0.1, "stress.crash.var_99", 0.05), rule: Stress,
			status: Pass, severity: policy.Info, owner: policy.Ops, code: "stress_ok", details: map[string]any{"scenarios": []string{"crash"}}},
		{name: "stress dd via dd_max key", policy: "stress: {scenarios: {crash: {dd_max: 0.3}}}", metrics: doc("stress.crash.dd_max", 0.4), rule: Stress,
			status: Fail, severity: policy.Info, owner: policy.Ops, code: "crash_dd_exceeds_max", details: map[string]any{"crash_dd_max": 0.3}},
		{name: "stress dd missing", policy: "stress: {scenarios: {crash: {dd_max: 0.3}}}", metrics: good(), rule: Stress,
			status: Warn, severity: policy.Info, owner: policy.Ops, code: "crash_dd_missing"},
		{name: "stress es missing", policy: "stress: {scenarios: {crash: {es_99: 0.3}}}", metrics: good(), rule: Stress,
			status: Warn, severity: policy.Info, owner: policy.Ops, code: "crash_es_missing"},
		{name: "stress es exceeds", policy: "stress: {scenarios: {crash: {es_99: 0.3}}, severity: blocking}", metrics: doc("stress.crash.es_99", -0.31), rule: Stress,
			status: Fail, severity: policy.Blocking, owner: policy.Ops, code: "crash_es_exceeds_max", details: map[string]any{"crash_es_99_max": 0.3}},
		{name: "stress var missing", policy: "stress: {scenarios: {crash: {var_99: 0.3}}}", metrics: good(), rule: Stress,
			status: Warn, severity: policy.Info, owner: policy.Ops, code: "crash_var_missing"},
		{name: "stress var exceeds", policy: "stress: {scenarios: {crash: {var_99: 0.3}}}", metrics: doc("stress.crash.var_99", 0.5), rule: Stress,
			status: Fail, severity: policy.Info, owner: policy.Ops, code: "crash_var_exceeds_max", details: map[string]any{"crash_var_99_max": 0.3}},
		{name: "stress fail reason first", policy: "stress: {scenarios: {a: {dd_max: 0.1}, b: {dd_max: 0.1}}}", metrics: doc("stress.b.max_drawdown", 0.5), rule: Stress,
			status: Fail, severity: policy.Info, owner: policy.Ops, code: "b_dd_exceeds_max", details: map[string]any{"scenarios": []string{"a", "b"}}},

		// paper_shadow_consistency (§7.8.5)
		{name: "paper ok", policy: "paper_shadow_consistency: {min_sharpe_ratio: 0.7, max_drawdown_ratio: 1.5, max_var_p01_ratio: 2, max_es_p01_ratio: 2}", stage: "paper",
			metrics: doc("returns.sharpe", 0.1, "returns.var_p01", 0.0,
				"diagnostics.extra_metrics.paper_vs_backtest_sharpe_ratio", 0.8, "diagnostics.extra_metrics.paper_vs_backtest_dd_ratio", 1.0,
				"diagnostics.extra_metrics.paper_vs_backtest_var_p01_ratio", 1.0, "diagnostics.extra_metrics.paper_vs_backtest_es_p01_ratio", 1.0,
				"diagnostics.extra_metrics.paper_shadow_baseline_run_id", "bt-1", "diagnostics.extra_metrics.backtest_sharpe", 0.125),
			rule: PaperShadowConsistency, status: Pass, severity: policy.Soft, owner: policy.Ops, code: "paper_shadow_ok",
			details: map[string]any{"stage": "paper", "baseline_run_id": "bt-1", "paper_sharpe": 0.1, "paper_var_p01": 0.0, "backtest_sharpe": 0.125, "paper_es_p01": nil}},
		{name: "paper sharpe missing", policy: "paper_shadow_consistency: {min_sharpe_ratio: 0.7}", stage: "shadow", metrics: good(), rule: PaperShadowConsistency,
			status: Warn, severity: policy.Soft, owner: policy.Ops, code: "paper_shadow_sharpe_ratio_missing", details: map[string]any{"baseline_run_id": nil}},
		{name: "paper sharpe below", policy: "paper_shadow_consistency: {min_sharpe_ratio: 0.7}", metrics: doc("paper_vs_backtest_sharpe_ratio", 0.5), rule: PaperShadowConsistency,
			status: Fail, severity: policy.Soft, owner: policy.Ops, code: "paper_shadow_sharpe_ratio_below_min", details: map[string]any{"min_sharpe_ratio": 0.7}},
		{name: "paper dd missing", policy: "paper_shadow_consistency: {max_drawdown_ratio: 1.5}", stage: "paper", metrics: good(), rule: PaperShadowConsistency,
			status: Warn, severity: policy.Soft, owner: policy.Ops, code: "paper_shadow_dd_ratio_missing"},
		{name: "paper dd exceeds", policy: "paper_shadow_consistency: {max_drawdown_ratio: 1.5}", stage: "paper", metrics: doc("paper_vs_backtest_dd_ratio", 2), rule: PaperShadowConsistency,
			status: Fail, severity: policy.Soft, owner: policy.Ops, code: "paper_shadow_dd_ratio_exceeds_max", details: map[string]any{"max_drawdown_ratio": 1.5}},
		{name: "paper var missing", policy: "paper_shadow_consistency: {max_var_p01_ratio: 1.5}", stage: "paper", metrics: good(), rule: PaperShadowConsistency,
			status: Warn, severity: policy.Soft, owner: policy.Ops, code: "paper_shadow_var_ratio_missing"},
		{name: "paper var exceeds", policy: "paper_shadow_consistency: {max_var_p01_ratio: 1.5}", stage: "paper", metrics: doc("paper_vs_backtest_var_p01_ratio", 2), rule: PaperShadowConsistency,
			status: Fail, severity: policy.Soft, owner: policy.Ops, code: "paper_shadow_var_ratio_exceeds_max"},
		{name: "paper es missing", policy: "paper_shadow_consistency: {max_es_p01_ratio: 1.5, severity: info, owner: quant}", stage: "paper", metrics: good(), rule: PaperShadowConsistency,
			status: Warn, severity: policy.Info, owner: policy.Quant, code: "paper_shadow_es_ratio_missing"},
		{name: "paper es exceeds", policy: "paper_shadow_consistency: {max_es_p01_ratio: 1.5}", stage: "Paper", metrics: doc("paper_vs_backtest_es_p01_ratio", 2), rule: PaperShadowConsistency,
			status: Fail, severity: policy.Soft, owner: policy.Ops, code: "paper_shadow_es_ratio_exceeds_max"},
		{name: "paper custom stages", policy: "paper_shadow_consistency: {stages: [Live], min_sharpe_ratio: 1}", stage: "live", metrics: doc("paper_vs_backtest_sharpe_ratio", 1), rule: PaperShadowConsistency,
			status: Pass, severity: policy.Soft, owner: policy.Ops, code: "paper_shadow_ok"},

		// live_monitoring (§7.8.6)
		{name: "live ok", policy: "live_monitoring: {sharpe_min: 0, dd_max: 0.3, decay_threshold: 0.5, lookback_days: 30}", stage: "live",
			metrics: doc("diagnostics.live_sharpe", 0.0, "diagnostics.realized_sharpe", -1.0, "diagnostics.live_max_drawdown", 0.1, "diagnostics.live_vs_backtest_sharpe_ratio", 0.6), rule: LiveMonitoring,
			status: Pass, severity: policy.Soft, owner: policy.Risk, code: "live_monitoring_ok",
			details: map[string]any{"sharpe_mean": 0.0, "dd_mean": 0.1, "decay_mean": 0.6, "lookback_days": 30}},
		{name: "live sharpe missing", policy: "live_monitoring: {sharpe_min: 0}", stage: "backtest", metrics: good(), rule: LiveMonitoring,
			status: Warn, severity: policy.Soft, owner: policy.Risk, code: "live_sharpe_missing", details: map[string]any{"lookback_days": nil}},
		{name: "live sharpe below (realized fallback)", policy: "live_monitoring: {sharpe_min: 0}", metrics: doc("realized_sharpe", -0.1), rule: LiveMonitoring,
			status: Fail, severity: policy.Soft, owner: policy.Risk, code: "live_sharpe_below_min", details: map[string]any{"sharpe_min": 0.0}},
		{name: "live dd missing", policy: "live_monitoring: {dd_max: 0.3}", metrics: good(), rule: LiveMonitoring,
			status: Warn, severity: policy.Soft, owner: policy.Risk, code: "live_dd_missing"},
		{name: "live dd exceeds", policy: "live_monitoring: {dd_max: 0.3, severity: blocking, owner: ops}", metrics: doc("realized_max_drawdown", 0.4), rule: LiveMonitoring,
			status: Fail, severity: policy.Blocking, owner: policy.Ops, code: "live_dd_exceeds_max", details: map[string]any{"dd_max": 0.3}},
		{name: "live decay missing", policy: "live_monitoring: {decay_threshold: 0.5}", metrics: good(), rule: LiveMonitoring,
			status: Warn, severity: policy.Soft, owner: policy.Risk, code: "live_decay_missing"},
		{name: "live decay below", policy: "live_monitoring: {decay_threshold: 0.5}", metrics: doc("live_vs_backtest_sharpe_ratio", 0.4), rule: LiveMonitoring,
			status: Fail, severity: policy.Soft, owner: policy.Risk, code: "live_decay_below_threshold", details: map[string]any{"decay_threshold": 0.5}},
		{name: "live mean over the scope", policy: "live_monitoring: {sharpe_min: 0}", rule: LiveMonitoring,
			set:    []Candidate{{StrategyID: "a", Metrics: doc("live_sharpe", 0.3)}, {StrategyID: "b", Metrics: doc("live_sharpe", -0.2)}, {StrategyID: "c", Metrics: doc("x", 1)}},
			status: Pass, severity: policy.Soft, owner: policy.Risk, code: "live_monitoring_ok", details: map[string]any{"sharpe_mean": 0.04999999999999999}},
	}
}

func TestRuleBranches(t *testing.T) {
	for _, c := range ruleCases() {
		t.Run(c.name, func(t *testing.T) {
			r := c.run(t)
			if r.Status != c.status || r.Severity != c.severity || r.Owner != c.owner || r.ReasonCode != c.code {
				t.Errorf("got %s/%s/%s/%s, want %s/%s/%s/%s (reason %q, details %v)",
					r.Status, r.Severity, r.Owner, r.ReasonCode, c.status, c.severity, c.owner, c.code, r.Reason, r.Details)
			}
			for k, want := range c.details {
				got, ok := r.Details.Get(k)
				if !ok {
					t.Errorf("details lack %q: %v", k, r.Details)
					continue
				}
				if !reflect.DeepEqual(generic(t, got), generic(t, want)) {
					t.Errorf("details[%q] = %#v, want %#v", k, got, want)
				}
			}
		})
	}
}

// generic returns v as encoding/json decodes its encoding, so that typed
// details (Details, MetricNames, violations) compare with plain expectations.
func generic(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAppendixACoverage checks that the branch table produces every reason
// code of validation-core Appendix A (stress codes with a scenario name).
func TestAppendixACoverage(t *testing.T) {
	appendix := strings.Fields(`
data_currency_ok metrics_missing missing_metric missing_metric_ignored
sample_ok sample_metrics_missing sample_thresholds_failed
performance_ok performance_metrics_missing performance_thresholds_failed performance_rank_outside_top_k
risk_constraints_ok risk_constraints_not_configured correlation_constraint_failed hysteresis_exit hysteresis_not_entered
robustness_ok dsr_missing dsr_below_min cv_sharpe_gap_exceeds_max
cohort_ok median_sharpe_missing median_dsr_missing top_k_unavailable cohort_median_sharpe_below_min cohort_median_dsr_below_min cohort_top_k_exceeded
portfolio_ok incremental_var_missing incremental_es_missing portfolio_sharpe_uplift_missing incremental_var_exceeds_max incremental_es_exceeds_max portfolio_sharpe_uplift_below_min
benchmark_ok benchmark_uplift_missing benchmark_uplift_below_min
stress_ok crash_dd_missing crash_es_missing crash_var_missing crash_dd_exceeds_max crash_es_exceeds_max crash_var_exceeds_max
paper_shadow_ok paper_shadow_sharpe_ratio_missing paper_shadow_dd_ratio_missing paper_shadow_var_ratio_missing paper_shadow_es_ratio_missing
paper_shadow_sharpe_ratio_below_min paper_shadow_dd_ratio_exceeds_max paper_shadow_var_ratio_exceeds_max paper_shadow_es_ratio_exceeds_max
live_monitoring_ok live_sharpe_missing live_dd_missing live_decay_missing live_sharpe_below_min live_dd_exceeds_max live_decay_below_threshold
rule_error`)
	covered := map[string]bool{ReasonRuleError: true} // TestRuleErrors
	covered["correlation_constraint_failed"] = true   // TestCorrelationConstraint
	for _, c := range ruleCases() {
		covered[c.code] = true
	}
	var missing []string
	for _, code := range appendix {
		if !covered[code] {
			missing = append(missing, code)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("reason codes without a test case: %v", missing)
	}
}
