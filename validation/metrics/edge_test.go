package metrics

import (
	"slices"
	"testing"
)

// null marks an expected null (absent) metric in the edge-case table.
const null = "null"

// edgePaths are the metrics of the validation-core §4.9 table, in its order.
var edgePaths = []string{
	"returns.sharpe",
	"returns.max_drawdown",
	"returns.gain_to_pain_ratio",
	"returns.time_under_water_ratio",
	"sample.effective_history_years",
	"sample.n_trades_total",
	"sample.n_trades_per_year",
	"robustness.sharpe_first_half",
	"robustness.sharpe_second_half",
	"robustness.deflated_sharpe_ratio",
	"robustness.probabilistic_sharpe_ratio",
	"returns.var_p01",
	"returns.es_p01",
	"returns.max_time_under_water_days",
	"sample.regime_coverage.low_vol",
	"sample.regime_coverage.mid_vol",
	"sample.regime_coverage.high_vol",
	"robustness.cv_folds",
	"robustness.cv_sharpe_mean",
	"robustness.cv_sharpe_std",
}

func repeat(x float64, n int) []float64 {
	return slices.Repeat([]float64{x}, n)
}

// TestEdgeCases checks every column of the validation-core §4.9 table. Each
// row lists the expected value per path of edgePaths (a float64 or null); a path
// missing from a row's map is not checked.
func TestEdgeCases(t *testing.T) {
	const ppy = 252.0
	rows := []struct {
		name   string
		series []float64
		want   map[string]any
	}{
		{"n=0", []float64{}, map[string]any{
			"returns.sharpe": 0.0, "returns.max_drawdown": 0.0, "returns.gain_to_pain_ratio": null,
			"returns.time_under_water_ratio": null, "sample.effective_history_years": null,
			"sample.n_trades_total": null, "sample.n_trades_per_year": null,
			"robustness.sharpe_first_half": 0.0, "robustness.sharpe_second_half": 0.0,
			"robustness.deflated_sharpe_ratio": null, "robustness.probabilistic_sharpe_ratio": null,
			"returns.var_p01": null, "returns.es_p01": null, "returns.max_time_under_water_days": null,
			"sample.regime_coverage.low_vol": null, "robustness.cv_folds": null,
			"robustness.cv_sharpe_mean": null, "robustness.cv_sharpe_std": null,
		}},
		{"n=0 after cleaning", []float64{nan(), inf(1), inf(-1)}, map[string]any{
			"returns.sharpe": 0.0, "returns.max_drawdown": 0.0, "returns.gain_to_pain_ratio": null,
			"returns.time_under_water_ratio": null, "sample.n_trades_total": null,
			"robustness.sharpe_first_half": 0.0, "robustness.sharpe_second_half": 0.0,
			"returns.var_p01": null, "returns.max_time_under_water_days": null,
		}},
		{"n=1 gain", []float64{0.01}, map[string]any{
			"returns.sharpe": 0.0, "returns.max_drawdown": 0.0, "returns.gain_to_pain_ratio": null,
			"returns.time_under_water_ratio": 0.0, "sample.effective_history_years": 1 / ppy,
			"sample.n_trades_total": 1.0, "sample.n_trades_per_year": ppy,
			"robustness.sharpe_first_half": 0.0, "robustness.sharpe_second_half": 0.0,
			"robustness.deflated_sharpe_ratio": null, "robustness.probabilistic_sharpe_ratio": null,
			"returns.var_p01": null, "returns.es_p01": null, "returns.max_time_under_water_days": 0.0,
			"sample.regime_coverage.low_vol": null, "robustness.cv_folds": null,
		}},
		{"n=1 loss", []float64{-0.01}, map[string]any{
			"returns.sharpe": 0.0, "returns.max_drawdown": 0.01, "returns.gain_to_pain_ratio": -1.0,
			"returns.time_under_water_ratio": 1.0, "sample.n_trades_total": 1.0,
			"robustness.sharpe_first_half": 0.0, "robustness.sharpe_second_half": 0.0,
			"robustness.deflated_sharpe_ratio": null, "robustness.probabilistic_sharpe_ratio": null,
			"returns.var_p01": null, "returns.es_p01": null, "returns.max_time_under_water_days": 1.0,
			"sample.regime_coverage.low_vol": null,
		}},
		// CD4: QMTL gives Sharpe 7.2e15 and DSR = PSR = 1 for this series.
		{"all equal gain [0.1]*3", []float64{0.1, 0.1, 0.1}, map[string]any{
			"returns.sharpe": 0.0, "returns.max_drawdown": 0.0, "returns.gain_to_pain_ratio": null,
			"returns.time_under_water_ratio": 0.0, "sample.effective_history_years": 3 / ppy,
			"sample.n_trades_total": 3.0, "sample.n_trades_per_year": ppy,
			"robustness.sharpe_first_half": 0.0, "robustness.sharpe_second_half": 0.0,
			"robustness.deflated_sharpe_ratio": null, "robustness.probabilistic_sharpe_ratio": null,
			"returns.var_p01": 0.0, "returns.es_p01": 0.0, "returns.max_time_under_water_days": 0.0,
			"sample.regime_coverage.low_vol": 1.0, "sample.regime_coverage.mid_vol": 0.0,
			"sample.regime_coverage.high_vol": 0.0, "robustness.cv_folds": null,
		}},
		{"all equal loss [-0.02]*5", repeat(-0.02, 5), map[string]any{
			"returns.sharpe": 0.0, "returns.max_drawdown": 5 * 0.02, "returns.gain_to_pain_ratio": -1.0,
			"returns.time_under_water_ratio": 1.0,
			"robustness.sharpe_first_half":   0.0, "robustness.sharpe_second_half": 0.0,
			"robustness.deflated_sharpe_ratio": null, "robustness.probabilistic_sharpe_ratio": null,
			"returns.var_p01": 0.02, "returns.es_p01": 0.02, "returns.max_time_under_water_days": 5.0,
			"sample.regime_coverage.low_vol": 1.0, "sample.regime_coverage.mid_vol": 0.0,
			"sample.regime_coverage.high_vol": 0.0,
		}},
		{"all equal, 120 periods: every CV fold has sd 0", repeat(0.003, 120), map[string]any{
			"returns.sharpe": 0.0, "robustness.deflated_sharpe_ratio": null,
			"sample.regime_coverage.low_vol": 1.0,
			"robustness.cv_folds":            null, "robustness.cv_sharpe_mean": null, "robustness.cv_sharpe_std": null,
		}},
		{"all zero", repeat(0, 4), map[string]any{
			"returns.sharpe": 0.0, "returns.max_drawdown": 0.0, "returns.gain_to_pain_ratio": null,
			"returns.time_under_water_ratio": 0.0, "returns.var_p01": 0.0, "returns.es_p01": 0.0,
			"returns.max_time_under_water_days": 0.0, "sample.regime_coverage.low_vol": 1.0,
		}},
		{"no negative returns", []float64{0.01, 0.0, 0.02, 0.005, 0.03}, map[string]any{
			"returns.max_drawdown": 0.0, "returns.gain_to_pain_ratio": null,
			"returns.time_under_water_ratio": 0.0, "returns.var_p01": 0.0, "returns.es_p01": 0.0,
			"returns.max_time_under_water_days": 0.0,
		}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			doc := mustDerive(t, nil, row.series, Params{})
			for _, path := range edgePaths {
				want, checked := row.want[path]
				if !checked {
					continue
				}
				got, present := lookupDotted(doc, path)
				if want == null {
					if present {
						t.Errorf("%s = %v, want null", path, got)
					}
					continue
				}
				x, ok := Number(got)
				if !ok {
					t.Errorf("%s = %v (present %v), want %v", path, got, present, want)
					continue
				}
				near(t, path, x, want.(float64), 1e-15)
			}
		})
	}
}

// TestEdgeCaseHalves checks the half split of §4.3.8: m = ⌊n/2⌋, and for n = 1
// the first half is empty.
func TestEdgeCaseHalves(t *testing.T) {
	r := []float64{0.01, 0.03, -0.02, 0.02, 0.01}
	doc := mustDerive(t, nil, r, Params{})
	near(t, "first half", mustGet(t, doc, "robustness", "sharpe_first_half"), Sharpe(r[:2]), 0)
	near(t, "second half", mustGet(t, doc, "robustness", "sharpe_second_half"), Sharpe(r[2:]), 0)
}

// TestEdgeCaseStrategyComplexityWithoutSeriesValues: an empty series still runs
// the core derivation, which writes search_intensity = 1, so the complexity is
// 1 + ln 2 (§4.5.7).
func TestEdgeCaseStrategyComplexityWithoutSeriesValues(t *testing.T) {
	doc := mustDerive(t, nil, nil, Params{})
	near(t, "strategy_complexity", mustGet(t, doc, "diagnostics", "strategy_complexity"), 1.6931471805599454, 1e-15)
}

// lookupDotted resolves a dotted path.
func lookupDotted(doc map[string]any, path string) (any, bool) {
	var segs []string
	start := 0
	for i := 0; i <= len(path); i++ {
		if i == len(path) || path[i] == '.' {
			segs = append(segs, path[start:i])
			start = i + 1
		}
	}
	v, ok := lookup(doc, segs...)
	return v, ok && v != nil
}
