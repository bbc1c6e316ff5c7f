package metrics

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func decodeDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDeriveFlatPayload: a payload without any structured block is stored as
// the returns block, and leaf names resolve identically (§3).
func TestDeriveFlatPayload(t *testing.T) {
	res, err := Derive(decodeDoc(t, `{"sharpe": 1.2, "foo": "bar"}`), nil, false, Params{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"returns": map[string]any{"sharpe": 1.2, "foo": "bar"}}
	if !reflect.DeepEqual(res.Metrics, want) {
		t.Errorf("Metrics = %v, want %v", res.Metrics, want)
	}
	flat, structured := Flatten(res.Metrics), Flatten(decodeDoc(t, `{"returns": {"sharpe": 1.2}}`))
	if !reflect.DeepEqual(flat.Map(), structured.Map()) || flat.Map()["returns.sharpe"] != 1.2 {
		t.Errorf("flat %v vs structured %v", flat.Map(), structured.Map())
	}
	if got := Normalize(map[string]any{}); !reflect.DeepEqual(got, map[string]any{"returns": map[string]any{}}) {
		t.Errorf("Normalize({}) = %v", got)
	}
	if got := Normalize(nil); len(got) != 0 {
		t.Errorf("Normalize(nil) = %v", got)
	}
	// Presence of any structured key, even null, means structured.
	res, _ = Derive(decodeDoc(t, `{"sample": null, "sharpe": 1.2}`), nil, false, Params{})
	if _, ok := res.Metrics["sharpe"]; !ok {
		t.Errorf("structured payload was wrapped: %v", res.Metrics)
	}
}

// TestDeriveDrawdownSign: CD5 normalises negative submitted drawdowns.
func TestDeriveDrawdownSign(t *testing.T) {
	in := decodeDoc(t, `{"returns": {"max_drawdown": -0.35}, "benchmark": {"max_drawdown": -0.2, "sharpe": 0.1}}`)
	res, err := Derive(in, nil, false, Params{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "returns.max_drawdown", mustGet(t, res.Metrics, "returns", "max_drawdown"), 0.35, 0)
	near(t, "benchmark.max_drawdown", mustGet(t, res.Metrics, "benchmark", "max_drawdown"), 0.2, 0)
	if got, _ := get(in, "returns", "max_drawdown"); got != -0.35 {
		t.Errorf("input mutated: %v", got)
	}
}

// TestDeriveMergePrecedence: submitted finite values win; nulls, non-finite
// values and non-numbers are filled (§4.11, CD4); unknown keys are kept.
func TestDeriveMergePrecedence(t *testing.T) {
	in := map[string]any{
		"returns": map[string]any{
			"sharpe":             0.5,        // kept
			"max_drawdown":       nil,        // filled
			"gain_to_pain_ratio": math.NaN(), // filled
			"var_p01":            "high",     // filled
			"custom":             []any{1.0}, // kept
		},
		"robustness":  map[string]any{"deflated_sharpe_ratio": 0.0}, // kept: 0.0 is a value
		"diagnostics": map[string]any{"search_intensity": 3.0, "extra_metrics": map[string]any{"x": 1.0}},
		"stress":      map[string]any{"crash": map[string]any{"max_drawdown": -0.5}},
	}
	res, err := Derive(in, appendixB, true, Params{})
	if err != nil {
		t.Fatal(err)
	}
	if in["returns"].(map[string]any)["max_drawdown"] != nil || in["sample"] != nil {
		t.Error("input mutated")
	}
	doc := res.Metrics
	near(t, "sharpe kept", mustGet(t, doc, "returns", "sharpe"), 0.5, 0)
	near(t, "max_drawdown filled", mustGet(t, doc, "returns", "max_drawdown"), 0.005, 1e-15)
	near(t, "gain_to_pain filled", mustGet(t, doc, "returns", "gain_to_pain_ratio"), 11.5, 1e-12)
	near(t, "var_p01 filled", mustGet(t, doc, "returns", "var_p01"), 0.00482, 1e-15)
	near(t, "dsr kept", mustGet(t, doc, "robustness", "deflated_sharpe_ratio"), 0, 0)
	near(t, "search_intensity kept", mustGet(t, doc, "diagnostics", "search_intensity"), 3, 0)
	if v, _ := lookup(doc, "returns", "custom"); !reflect.DeepEqual(v, []any{1.0}) {
		t.Errorf("unknown key lost: %v", v)
	}
	if v, _ := get(doc, "stress", "crash", "max_drawdown"); v != -0.5 {
		t.Errorf("stress block changed: %v", v)
	}
	// PSR is derived from the series' own per-period Sharpe (CD3), not from
	// the submitted 0.5.
	near(t, "psr", mustGet(t, doc, "robustness", "probabilistic_sharpe_ratio"), 0.9943644, 5e-8)

	for _, p := range []string{"returns.sharpe", "robustness.deflated_sharpe_ratio", "diagnostics.search_intensity"} {
		if slices.Contains(res.Derivations, p) {
			t.Errorf("Derivations lists submitted %s", p)
		}
	}
	for _, p := range []string{"returns.max_drawdown", "returns.gain_to_pain_ratio", "returns.var_p01", "sample.regime_coverage", "diagnostics.strategy_complexity"} {
		if !slices.Contains(res.Derivations, p) {
			t.Errorf("Derivations misses %s: %v", p, res.Derivations)
		}
	}
}

// TestDeriveDoesNotMutate runs Derive on a decoded document and compares the
// input with a JSON snapshot taken before.
func TestDeriveDoesNotMutate(t *testing.T) {
	src := `{"sharpe": -1, "max_drawdown": -0.3, "nested": {"a": [1, {"b": 2}]}}`
	in := decodeDoc(t, src)
	series := slices.Clone(appendixB)
	res, err := Derive(in, series, true, Params{TransactionCost: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, decodeDoc(t, src)) {
		t.Errorf("input document mutated: %v", in)
	}
	if !slices.Equal(series, appendixB) {
		t.Errorf("series mutated")
	}
	res.Metrics["returns"].(map[string]any)["nested"].(map[string]any)["a"].([]any)[1].(map[string]any)["b"] = 3.0
	if !reflect.DeepEqual(in, decodeDoc(t, src)) {
		t.Error("result shares memory with the input")
	}
}

// TestDeriveWithoutSeries: nothing is derived, not even strategy_complexity.
func TestDeriveWithoutSeries(t *testing.T) {
	in := decodeDoc(t, `{"diagnostics": {"search_intensity": 4}}`)
	res, err := Derive(in, appendixB, false, Params{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Metrics, in) || len(res.Derivations) != 0 {
		t.Errorf("Derive without series = %v, %v", res.Metrics, res.Derivations)
	}
}

// TestDeriveTrials: N comes from diagnostics.search_intensity (spec-decision)
// and σ_T from the optional trial_sharpe_variance extension.
func TestDeriveTrials(t *testing.T) {
	r := appendixB
	sr := Sharpe(r)
	m, _ := SeriesMoments(r)
	se, _ := SharpeStdErr(sr, m.Skew, m.Kurt, len(r))
	for _, c := range []struct {
		diag     string
		trials   int64
		trialStd float64
	}{
		{`{}`, 1, se},
		{`{"search_intensity": 16}`, 16, se},
		{`{"search_intensity": 100.9}`, 100, se},
		{`{"search_intensity": -4}`, 1, se},
		{`{"search_intensity": true}`, 1, se},
		{`{"search_intensity": "100"}`, 1, se},
		{`{"search_intensity": 42, "extra_metrics": {"trial_sharpe_variance": 0.09}}`, 42, 0.3},
		{`{"search_intensity": 42, "extra_metrics": {"trial_sharpe_variance": 0}}`, 42, se},
	} {
		doc := mustDerive(t, decodeDoc(t, `{"diagnostics": `+c.diag+`}`), r, Params{})
		want, _ := DeflatedSharpe(sr, se, c.trialStd, c.trials)
		near(t, "DSR "+c.diag, mustGet(t, doc, "robustness", "deflated_sharpe_ratio"), want, 1e-15)
		if Trials(doc) != c.trials && !strings.Contains(c.diag, `"100"`) && !strings.Contains(c.diag, "true") {
			t.Errorf("Trials(%s) = %d, want %d", c.diag, Trials(doc), c.trials)
		}
	}
	if got := Trials(map[string]any{"diagnostics": map[string]any{"search_intensity": 1e300}}); got != maxTrials {
		t.Errorf("Trials(1e300) = %d", got)
	}
}

// TestDeriveTransactionCostAndRiskFree: Sharpe uses (r − tc) − rf, drawdown
// uses r − tc, gain-to-pain and the moments use gross r (§4.2, §4.3).
func TestDeriveTransactionCostAndRiskFree(t *testing.T) {
	r := []float64{0.01, 0.002, -0.004, 0.003}
	doc := mustDerive(t, nil, r, Params{TransactionCost: 0.002, RiskFreeRate: 0.001})
	y := []float64{0.007, -0.001, -0.007, 0}
	near(t, "sharpe", mustGet(t, doc, "returns", "sharpe"), Sharpe(y), 1e-15)
	// Net equity 0.008, 0.008, 0.002, 0.003: drawdown 0.006.
	near(t, "max_drawdown", mustGet(t, doc, "returns", "max_drawdown"), 0.006, 1e-15)
	near(t, "gain_to_pain", mustGet(t, doc, "returns", "gain_to_pain_ratio"), 0.011/0.004, 1e-12)
	near(t, "first half", mustGet(t, doc, "robustness", "sharpe_first_half"), Sharpe(y[:2]), 1e-15)
}

// TestDeriveCrossValidation checks the contiguous folds of §4.5.5 on a
// 130-period series: k = 4 folds of 32, 32, 32 and 34 periods.
func TestDeriveCrossValidation(t *testing.T) {
	r := make([]float64, 130)
	for i := range r {
		r[i] = 0.001*float64(i%7) - 0.0025 + 0.0001*float64(i%3)
	}
	doc := mustDerive(t, nil, r, Params{PeriodsPerYear: 365})
	var sharpes []float64
	for _, b := range [][2]int{{0, 32}, {32, 64}, {64, 96}, {96, 130}} {
		m, s := meanStd(r[b[0]:b[1]])
		sharpes = append(sharpes, m/s*math.Sqrt(365))
	}
	mu, sd := meanStd(sharpes)
	near(t, "cv_folds", mustGet(t, doc, "robustness", "cv_folds"), 4, 0)
	near(t, "cv_sharpe_mean", mustGet(t, doc, "robustness", "cv_sharpe_mean"), mu, 1e-12)
	near(t, "cv_sharpe_std", mustGet(t, doc, "robustness", "cv_sharpe_std"), sd, 1e-12)
	near(t, "years", mustGet(t, doc, "sample", "effective_history_years"), 130.0/365, 1e-15)
}

// TestDeriveOptionalMetrics: §4.10 metrics only on request, with the spec's
// formulas.
func TestDeriveOptionalMetrics(t *testing.T) {
	if doc := mustDerive(t, nil, appendixB, Params{}); func() bool {
		_, ok := get(doc, "returns", "sortino_ratio")
		return ok
	}() {
		t.Error("sortino_ratio derived without OptionalMetrics")
	}
	doc := mustDerive(t, nil, appendixB, Params{OptionalMetrics: true})
	// Downside deviation: √((0.005² + 0.003²)/10).
	near(t, "sortino", mustGet(t, doc, "returns", "sortino_ratio"), 0.0092/math.Sqrt((0.005*0.005+0.003*0.003)/10), 1e-12)
	near(t, "sharpe_annualized", mustGet(t, doc, "returns", "sharpe_annualized"), 1.1450015*math.Sqrt(252), 1e-6)
	m, _ := SeriesMoments(appendixB)
	want, _ := MinTrackRecordLength(Sharpe(appendixB), 0, m.Skew, m.Kurt, 0.05)
	near(t, "min_track_record_length", mustGet(t, doc, "robustness", "min_track_record_length"), want, 1e-12)
}

// TestDeriveInvalidParams rejects non-finite or negative parameters.
func TestDeriveInvalidParams(t *testing.T) {
	for _, p := range []Params{
		{PeriodsPerYear: -1}, {PeriodsPerYear: math.Inf(1)}, {RiskFreeRate: math.NaN()}, {TransactionCost: math.Inf(-1)},
	} {
		if _, err := Derive(nil, appendixB, true, p); err == nil {
			t.Errorf("Derive(%+v): no error", p)
		}
	}
}

// TestSeriesReturns checks the source selection of §4.1.
func TestSeriesReturns(t *testing.T) {
	for _, c := range []struct {
		src  string
		want []float64
		ok   bool
	}{
		{`{"returns": [0.1, null, "x", 0.2], "pnl": [9]}`, []float64{0.1, 0.2}, true},
		{`{"returns": [], "pnl": [0.3]}`, []float64{0.3}, true},
		{`{"returns": [null]}`, []float64{}, true},
		{`{"equity": [100, 101, null, 99.5]}`, []float64{1, -1.5}, true},
		{`{"equity": [100]}`, nil, false},
		{`{}`, nil, false},
	} {
		raw, ok := SeriesReturns(decodeDoc(t, c.src))
		if ok != c.ok || (ok && !slices.Equal(Clean(raw), c.want)) {
			t.Errorf("SeriesReturns(%s) = %v, %v; want %v, %v", c.src, Clean(raw), ok, c.want, c.ok)
		}
	}
}
