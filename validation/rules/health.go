package rules

// Health is the run's validation self-diagnosis (validation-core §9.6).
type Health struct {
	// MetricCoverageRatio is the share of the twelve v1 core metric paths
	// that are non-null at their exact block position.
	MetricCoverageRatio float64 `json:"metric_coverage_ratio"`
	// RulesExecutedRatio is min(1, results/5).
	RulesExecutedRatio float64 `json:"rules_executed_ratio"`
	// ValidationErrorCount counts results whose reason_code is rule_error.
	ValidationErrorCount int `json:"validation_error_count"`
}

// coreMetricBlocks are the twelve v1 core paths (validation-core §3.1), by
// block: ComputeHealth looks each block up once, without comparing block
// names path by path.
var coreMetricBlocks = [...]struct {
	block string
	keys  []string
}{
	{"returns", []string{"sharpe", "max_drawdown", "gain_to_pain_ratio", "time_under_water_ratio"}},
	{"sample", []string{"effective_history_years", "n_trades_total", "n_trades_per_year"}},
	{"risk", []string{"adv_utilization_p95", "participation_rate_p95"}},
	{"robustness", []string{"deflated_sharpe_ratio", "sharpe_first_half", "sharpe_second_half"}},
}

// coreMetricCount is the number of core paths.
const coreMetricCount = 12

// coreRuleCount is the number of core rules, the denominator of
// rules_executed_ratio.
const coreRuleCount = 5

// ComputeHealth derives the validation health of a run from its stored
// metrics document and its inline results. Invariant checks (§10.6) use it to
// recompute the expected values.
func ComputeHealth(doc map[string]any, results Results) Health {
	var h Health
	if len(doc) > 0 {
		present := 0
		for i := range coreMetricBlocks {
			c := &coreMetricBlocks[i]
			block, _ := doc[c.block].(map[string]any)
			if block == nil {
				continue
			}
			for _, k := range c.keys {
				if block[k] != nil {
					present++
				}
			}
		}
		h.MetricCoverageRatio = float64(present) / coreMetricCount
	}
	h.RulesExecutedRatio = min(1, float64(len(results))/coreRuleCount)
	for _, r := range results {
		// Only a string of the same length folds to rule_error: no
		// character of it has a fold of another length (as the Kelvin sign
		// has for k, the long s for s).
		if rc := r.Result.ReasonCode; len(rc) == len(ReasonRuleError) && equalFold(rc, ReasonRuleError) {
			h.ValidationErrorCount++
		}
	}
	return h
}

// AttachHealth returns a copy of a metrics document with
// diagnostics.validation_health set: the three health keys overwrite any
// submitted ones, other submitted keys are kept. The input document is not
// modified (only the containers on the path are copied).
func AttachHealth(doc map[string]any, h Health) map[string]any {
	out := make(map[string]any, len(doc)+1)
	for k, v := range doc {
		out[k] = v
	}
	diag := map[string]any{}
	if d, ok := doc["diagnostics"].(map[string]any); ok {
		for k, v := range d {
			diag[k] = v
		}
	}
	vh := map[string]any{}
	if old, ok := diag["validation_health"].(map[string]any); ok {
		for k, v := range old {
			vh[k] = v
		}
	}
	vh["metric_coverage_ratio"] = h.MetricCoverageRatio
	vh["rules_executed_ratio"] = h.RulesExecutedRatio
	vh["validation_error_count"] = h.ValidationErrorCount
	diag["validation_health"] = vh
	out["diagnostics"] = diag
	return out
}
