package invariants

import (
	"math"

	"github.com/worldval/worldval/validation/rules"
)

// healthTolerance is the largest difference between a recorded and an
// expected ratio that is not a gap (validation-core §10.6).
const healthTolerance = 1e-6

// healthGaps compares the run's recorded validation health with the health
// its metrics and results give (validation-core §10.6): the two ratios
// within a tolerance, the error count exactly; an absent recorded value is
// always a gap.
func healthGaps(worldID string, run *Run) []HealthGap {
	results := make(rules.Results, len(run.Results))
	for i, r := range run.Results {
		results[i] = rules.NamedResult{Name: r.Name, Result: rules.RuleResult{ReasonCode: r.ReasonCode}}
	}
	expected := rules.ComputeHealth(run.Metrics, results)
	recorded := recordedHealth(run.Metrics)
	var gaps []HealthGap
	gap := func(metric string, want float64, exact bool) {
		got, present := recorded[metric]
		x, isNumber := got.(float64)
		switch {
		case !present || !isNumber:
		case exact && x == want:
			return
		case !exact && math.Abs(x-want) <= healthTolerance:
			return
		}
		gaps = append(gaps, HealthGap{
			WorldID: orDefault(worldID, run.WorldID), StrategyID: run.StrategyID, RunID: run.RunID,
			Metric: metric, Expected: want, Recorded: got,
		})
	}
	gap("metric_coverage_ratio", expected.MetricCoverageRatio, false)
	gap("rules_executed_ratio", expected.RulesExecutedRatio, false)
	gap("validation_error_count", float64(expected.ValidationErrorCount), true)
	return gaps
}

// recordedHealth returns metrics.diagnostics.validation_health as a map
// (empty when absent). Numbers are float64, as encoding/json decodes them;
// a json.Number is converted.
func recordedHealth(metrics map[string]any) map[string]any {
	diag, _ := metrics["diagnostics"].(map[string]any)
	vh, _ := diag["validation_health"].(map[string]any)
	out := make(map[string]any, len(vh))
	for k, v := range vh {
		if n, ok := v.(interface{ Float64() (float64, error) }); ok {
			if f, err := n.Float64(); err == nil {
				v = f
			}
		}
		out[k] = v
	}
	return out
}
