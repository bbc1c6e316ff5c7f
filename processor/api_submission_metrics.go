package processor

import (
	"encoding/json"
	"slices"
)

// metricBlocks names the blocks of an EvaluationMetrics document
// (validation-core §3), in the order the spec lists them.
const metricBlocks = "returns, sample, risk, robustness, diagnostics, benchmark, stress"

// isMetricBlock reports whether name is a block of an EvaluationMetrics
// document.
func isMetricBlock(name string) bool {
	switch name {
	case "benchmark", "stress":
		return true
	}
	return marksStructured(name)
}

// marksStructured reports whether a top-level key makes a metrics document
// structured; without any such key it is a flat payload, stored as the
// returns block (validation-core §3).
func marksStructured(name string) bool {
	switch name {
	case "returns", "sample", "risk", "robustness", "diagnostics":
		return true
	}
	return false
}

// metricFieldKind returns the JSON kind validation-core §3.2 fixes for a
// field of a block, "" for a field of any kind. Blocks are open: fields the
// spec does not type are kept as submitted, and their numeric leaves are
// visible to the rules.
func metricFieldKind(block, field string) string {
	switch block + "." + field {
	case "returns.sharpe", "returns.sortino_ratio", "returns.max_drawdown", "returns.gain_to_pain_ratio",
		"returns.var_p01", "returns.es_p01", "returns.time_under_water_ratio", "returns.max_time_under_water_days",
		"sample.effective_history_years", "sample.n_trades_total", "sample.n_trades_per_year",
		"risk.incremental_var_99", "risk.incremental_es_99", "risk.adv_utilization_p95",
		"risk.participation_rate_p95", "risk.capacity_estimate_base",
		"robustness.probabilistic_sharpe_ratio", "robustness.deflated_sharpe_ratio", "robustness.cv_folds",
		"robustness.cv_sharpe_mean", "robustness.cv_sharpe_std", "robustness.sharpe_first_half", "robustness.sharpe_second_half",
		"diagnostics.strategy_complexity", "diagnostics.search_intensity",
		"benchmark.sharpe", "benchmark.max_drawdown", "benchmark.volatility":
		return "a number"
	case "sample.regime_coverage", "risk.factor_exposures", "diagnostics.extra_metrics", "diagnostics.validation_health":
		return "an object"
	case "diagnostics.returns_source":
		return "a string"
	case "diagnostics.live_returns":
		return "an array"
	}
	return ""
}

// parseMetrics validates a metrics document (EvaluationMetrics blocks, or a
// flat payload) and returns it compact, with whether it holds anything to
// evaluate. A structured document may hold only the blocks of §3; extension
// metrics belong under diagnostics.extra_metrics. Fields whose kind the spec
// fixes must have it (null always means absent).
func parseMetrics(ps *problems, path string, v json.RawMessage) (json.RawMessage, bool) {
	if isNull(v) {
		return nil, false
	}
	if jsonKind(v) != "an object" {
		ps.add(path, "must be an object of metric blocks (returns, sample, risk, …), got %s", jsonKind(v))
		return nil, false
	}
	members, err := decodeObject(v)
	if err != nil {
		ps.add(path, "must be an object without repeated keys")
		return nil, false
	}
	structured := slices.ContainsFunc(members, func(m jsonMember) bool { return marksStructured(m.name) })
	if !structured {
		// A flat payload is the returns block; benchmark and stress may
		// sit beside it.
		for _, m := range members {
			if m.name == "benchmark" || m.name == "stress" {
				checkMetricBlock(ps, path+"."+m.name, m.name, m.value)
				continue
			}
			checkMetricField(ps, path+"."+m.name, metricFieldKind("returns", m.name), m.value)
		}
		return compactJSON(v), len(members) > 0
	}
	for _, m := range members {
		if !isMetricBlock(m.name) {
			ps.add(path+"."+m.name, "unknown metrics block (known: %s); put extension metrics under diagnostics.extra_metrics", metricBlocks)
			continue
		}
		checkMetricBlock(ps, path+"."+m.name, m.name, m.value)
	}
	return compactJSON(v), true
}

// checkMetricBlock checks one block: null or an object whose fixed-kind
// fields have their kind.
func checkMetricBlock(ps *problems, path, block string, v json.RawMessage) {
	if isNull(v) {
		return
	}
	if jsonKind(v) != "an object" {
		ps.add(path, "must be an object, got %s", jsonKind(v))
		return
	}
	members, err := decodeObject(v)
	if err != nil {
		ps.add(path, "must be an object without repeated keys")
		return
	}
	for _, m := range members {
		checkMetricField(ps, path+"."+m.name, metricFieldKind(block, m.name), m.value)
	}
}

// checkMetricField checks one field against its kind ("" for a field of any
// kind).
func checkMetricField(ps *problems, path, kind string, v json.RawMessage) {
	switch {
	case kind == "" || isNull(v):
	case kind == "a number":
		if _, err := finiteNumber(v); err != nil {
			ps.add(path, "%v", err)
		}
	case kind == "an array":
		// live_returns: a series like returns.
		parseReturns(ps, path, v)
	case jsonKind(v) != kind:
		ps.add(path, "must be %s, got %s", kind, jsonKind(v))
	}
}
