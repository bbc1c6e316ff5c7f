package processor

import (
	"encoding/json"
	"slices"
	"strings"
)

// metricBlocks are the blocks of an EvaluationMetrics document
// (validation-core §3), in the order the spec lists them.
var metricBlocks = []string{"returns", "sample", "risk", "robustness", "diagnostics", "benchmark", "stress"}

// structuredMarkers are the blocks whose presence makes a metrics document
// structured; without any of them it is a flat payload, stored as the returns
// block (validation-core §3).
var structuredMarkers = []string{"returns", "sample", "risk", "robustness", "diagnostics"}

// metricFieldKinds are the fields of each block whose JSON kind is fixed by
// validation-core §3.2. Other fields of a block are kept as submitted: blocks
// are open, and their numeric leaves are visible to the rules.
var metricFieldKinds = map[string]map[string]string{
	"returns": {
		"sharpe": "a number", "sortino_ratio": "a number", "max_drawdown": "a number",
		"gain_to_pain_ratio": "a number", "var_p01": "a number", "es_p01": "a number",
		"time_under_water_ratio": "a number", "max_time_under_water_days": "a number",
	},
	"sample": {
		"effective_history_years": "a number", "n_trades_total": "a number", "n_trades_per_year": "a number",
		"regime_coverage": "an object",
	},
	"risk": {
		"factor_exposures": "an object", "incremental_var_99": "a number", "incremental_es_99": "a number",
		"adv_utilization_p95": "a number", "participation_rate_p95": "a number", "capacity_estimate_base": "a number",
	},
	"robustness": {
		"probabilistic_sharpe_ratio": "a number", "deflated_sharpe_ratio": "a number", "cv_folds": "a number",
		"cv_sharpe_mean": "a number", "cv_sharpe_std": "a number",
		"sharpe_first_half": "a number", "sharpe_second_half": "a number",
	},
	"diagnostics": {
		"strategy_complexity": "a number", "search_intensity": "a number", "returns_source": "a string",
		"extra_metrics": "an object", "validation_health": "an object", "live_returns": "an array",
	},
	"benchmark": {"sharpe": "a number", "max_drawdown": "a number", "volatility": "a number"},
	"stress":    {},
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
	structured := slices.ContainsFunc(members, func(m jsonMember) bool { return slices.Contains(structuredMarkers, m.name) })
	if !structured {
		// A flat payload is the returns block; benchmark and stress may
		// sit beside it.
		for _, m := range members {
			if m.name == "benchmark" || m.name == "stress" {
				checkMetricBlock(ps, path+"."+m.name, m.name, m.value)
				continue
			}
			checkMetricField(ps, path+"."+m.name, metricFieldKinds["returns"][m.name], m.value)
		}
		return compactJSON(v), len(members) > 0
	}
	for _, m := range members {
		if !slices.Contains(metricBlocks, m.name) {
			ps.add(path+"."+m.name, "unknown metrics block (known: %s); put extension metrics under diagnostics.extra_metrics",
				strings.Join(metricBlocks, ", "))
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
		checkMetricField(ps, path+"."+m.name, metricFieldKinds[block][m.name], m.value)
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
