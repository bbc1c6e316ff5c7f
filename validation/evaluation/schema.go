package evaluation

import (
	"fmt"
	"sort"
)

// FieldError is a submission defect at one field: the dotted path of the
// offending value (e.g. "metrics.returns.sharpe", "returns[17]") and what is
// wrong with it.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Message }

// typedFields lists, per metrics block, the fields the EvaluationMetrics schema
// types as numbers (validation-core §3.2). Other fields in a block are kept
// and reach the rules through flattening, whatever their type.
var typedFields = map[string][]string{
	"returns": {"sharpe", "sortino_ratio", "max_drawdown", "gain_to_pain_ratio", "var_p01", "es_p01",
		"time_under_water_ratio", "max_time_under_water_days"},
	"sample": {"effective_history_years", "n_trades_total", "n_trades_per_year"},
	"risk": {"incremental_var_99", "incremental_es_99", "adv_utilization_p95", "participation_rate_p95",
		"capacity_estimate_base"},
	"robustness": {"probabilistic_sharpe_ratio", "deflated_sharpe_ratio", "cv_folds", "cv_sharpe_mean",
		"cv_sharpe_std", "sharpe_first_half", "sharpe_second_half"},
	"diagnostics": {"strategy_complexity", "search_intensity"},
	"benchmark":   {"sharpe", "max_drawdown", "volatility"},
}

// objectFields are fields the schema types as objects.
var objectFields = map[string][]string{
	"sample":      {"regime_coverage"},
	"risk":        {"factor_exposures"},
	"diagnostics": {"extra_metrics", "validation_health"},
}

// blocks are the top-level keys that mark a structured (not flat) payload.
var blocks = []string{"returns", "sample", "risk", "robustness", "diagnostics"}

// ValidateMetrics checks a submitted metrics document against the typed part
// of the EvaluationMetrics schema: each block is an object (or null), each
// typed field a number (or null; booleans are not numbers), each typed object
// an object. Unknown fields are allowed and preserved (§3). prefix is the path
// of the document in the request (e.g. "metrics"). The first defect in
// lexicographic order is returned, so the answer is deterministic.
func ValidateMetrics(prefix string, doc map[string]any) *FieldError {
	structured := false
	for _, b := range blocks {
		if _, ok := doc[b]; ok {
			structured = true
		}
	}
	if !structured { // a flat payload is the returns block (§3)
		return validateBlock(prefix, "returns", doc)
	}
	names := make([]string, 0, len(typedFields))
	for b := range typedFields {
		names = append(names, b)
	}
	sort.Strings(names)
	for _, b := range names {
		v, ok := doc[b]
		if !ok || v == nil {
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return &FieldError{Path: join(prefix, b), Message: "must be an object, got " + jsonType(v)}
		}
		if err := validateBlock(join(prefix, b), b, obj); err != nil {
			return err
		}
	}
	return nil
}

func validateBlock(path, block string, obj map[string]any) *FieldError {
	for _, f := range typedFields[block] {
		v, ok := obj[f]
		if !ok || v == nil {
			continue
		}
		if _, isBool := v.(bool); isBool || !isNumber(v) {
			return &FieldError{Path: join(path, f), Message: "must be a number, got " + jsonType(v)}
		}
	}
	for _, f := range objectFields[block] {
		v, ok := obj[f]
		if !ok || v == nil {
			continue
		}
		if _, ok := v.(map[string]any); !ok {
			return &FieldError{Path: join(path, f), Message: "must be an object, got " + jsonType(v)}
		}
	}
	return nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case float64, float32, int, int64, int32, uint64, interface{ Float64() (float64, error) }:
		return true
	}
	return false
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// jsonType names the JSON type of a decoded value for error messages.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		if isNumber(v) {
			return "number"
		}
		return fmt.Sprintf("%T", v)
	}
}
