package rules

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

func annotatedMetrics() map[string]any {
	d := good()
	d["diagnostics"] = map[string]any{"lag_seconds": 12.0, "extra_metrics": map[string]any{"vs_benchmark_sharpe": 0.02}}
	d["stress"] = map[string]any{"crash_2020": map[string]any{"max_drawdown": 0.2, "es_99": 0.1}}
	return d
}

func TestEvaluateAnnotatedExample(t *testing.T) {
	p := annotated(t)
	cases := []struct {
		stage, profile, recommended string
		paperShadow                 bool
	}{
		{"backtest", "backtest", StageBacktestOnly, false},
		{"paper", "paper", StagePaperOnly, true},
		{"live", "live", StagePaperOKLiveCandidate, false},
		{"shadow", "backtest", StageBacktestOnly, true},
		{"", "backtest", StageBacktestOnly, true},
		{"paper_ok_live_candidate", "live", StagePaperOKLiveCandidate, false},
	}
	for _, c := range cases {
		out := Evaluate(p, Input{WorldID: "crypto_mom_1h", StrategyID: "s1", RunID: "r1", Stage: c.stage, PolicyVersion: "7", Metrics: annotatedMetrics()})
		v := out.Validation
		if v.Profile == nil || *v.Profile != c.profile {
			t.Errorf("%q: profile %v", c.stage, v.Profile)
		}
		m := p.Materialize(c.stage, false)
		if v.RulesetHash != m.RulesetHash() || !bytes.Equal(v.PolicySnapshot, m.Snapshot()) {
			t.Errorf("%q: hash %s vs %s", c.stage, v.RulesetHash, m.RulesetHash())
		}
		if v.PolicyVersion == nil || *v.PolicyVersion != "7" {
			t.Errorf("%q: policy_version %v", c.stage, v.PolicyVersion)
		}
		if out.Summary.RecommendedStage != c.recommended {
			t.Errorf("%q: recommended %q", c.stage, out.Summary.RecommendedStage)
		}
		want := []string{DataCurrency, Sample, Performance, RiskConstraint, Robustness, Benchmark, Stress}
		if c.paperShadow {
			want = append(want, PaperShadowConsistency)
		}
		want = append(want, LiveMonitoring)
		if got := names(v.Results); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: results %v", c.stage, got)
		}
	}
	// Backtest: everything passes except the warns of extended rules without
	// live data, so the summary is warn and the strategy is selected.
	out := Evaluate(p, Input{StrategyID: "s1", Stage: "backtest", Metrics: annotatedMetrics()})
	for _, r := range out.Validation.Results[:5] {
		if r.Result.Status != Pass {
			t.Errorf("%s: %+v", r.Name, r.Result)
		}
	}
	if out.Summary.Status != Warn || !out.Summary.Active || !reflect.DeepEqual(out.Summary.ActiveSet, []string{"s1"}) {
		t.Errorf("summary %+v", out.Summary)
	}
	if out.Health != (Health{MetricCoverageRatio: 1, RulesExecutedRatio: 1}) {
		t.Errorf("health %+v", out.Health)
	}
	// Paper thresholds are stricter: sharpe_min 0.1 passes, gain_to_pain 1.2 passes,
	// robustness dsr 0.25 passes; min_effective_years 3.0 passes exactly (inclusive).
	out = Evaluate(p, Input{StrategyID: "s1", Stage: "paper", Metrics: annotatedMetrics()})
	if r, _ := out.Validation.Results.Get(Performance); r.Status != Pass {
		t.Errorf("paper performance %+v", r)
	}
}

func TestEvaluateOnlySharpeWarns(t *testing.T) {
	// QMTL's API test: a run with only returns.sharpe under an empty policy warns (E01–E03).
	out := Evaluate(pol(t, "{}"), Input{StrategyID: "s", Metrics: doc("returns.sharpe", 1.2)})
	if out.Summary.Status != Warn || !out.Summary.Active {
		t.Errorf("summary %+v", out.Summary)
	}
	if out.Validation.Profile != nil || out.Validation.PolicyVersion != nil {
		t.Errorf("profile/version should be null: %+v", out.Validation)
	}
	if out.Summary.RecommendedStage != StageBacktestOnly {
		t.Errorf("recorded recommended stage %q", out.Summary.RecommendedStage)
	}
	if out.Health.MetricCoverageRatio != 1.0/12 || out.Health.RulesExecutedRatio != 1 {
		t.Errorf("health %+v", out.Health)
	}
}

func TestEvaluateNilPolicyAndNoMetrics(t *testing.T) {
	out := Evaluate(nil, Input{StrategyID: "s"})
	if out.Summary.Status != Fail || !strings.HasPrefix(out.Validation.RulesetHash, "blake3:") {
		t.Errorf("%+v", out)
	}
	if r, _ := out.Validation.Results.Get(DataCurrency); r.ReasonCode != "metrics_missing" {
		t.Errorf("dc %+v", r)
	}
	if out.Health.MetricCoverageRatio != 0 {
		t.Errorf("health %+v", out.Health)
	}
}

func TestEvaluateFailClosed(t *testing.T) {
	p := pol(t, "thresholds: {x: {metric: nope}}\nvalidation: {on_missing_metric: ignore, on_error: warn}")
	lenient := Evaluate(p, Input{StrategyID: "s", Metrics: good()})
	forced := Evaluate(p, Input{StrategyID: "s", Metrics: good(), FailClosed: true})
	if lenient.Summary.Status != Pass || forced.Summary.Status != Fail {
		t.Errorf("lenient %s forced %s", lenient.Summary.Status, forced.Summary.Status)
	}
	if lenient.Validation.RulesetHash == forced.Validation.RulesetHash {
		t.Errorf("fail-closed enforcement must change the hash of a lenient policy")
	}
	if r, _ := forced.Validation.Results.Get(DataCurrency); r.Status != Pass {
		t.Errorf("nope is performance-class, dc passes: %+v", r)
	}
}

func TestEvaluateJSONShape(t *testing.T) {
	out := Evaluate(annotated(t), Input{StrategyID: "s1", Stage: "backtest", PolicyVersion: "7", Metrics: annotatedMetrics()})
	js, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]map[string]any
	if err := json.Unmarshal(js, &generic); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		return sortStrings(ks)
	}
	if got := keys(generic["validation"]); !reflect.DeepEqual(got, []string{"policy_snapshot", "policy_version", "profile", "results", "ruleset_hash"}) {
		t.Errorf("validation keys %v", got)
	}
	if got := keys(generic["summary"]); !reflect.DeepEqual(got, []string{"active", "active_set", "recommended_stage", "status"}) {
		t.Errorf("summary keys %v", got)
	}
	if got := keys(generic["validation_health"]); !reflect.DeepEqual(got, []string{"metric_coverage_ratio", "rules_executed_ratio", "validation_error_count"}) {
		t.Errorf("health keys %v", got)
	}
	res := generic["validation"]["results"].(map[string]any)
	for name, r := range res {
		if got := keys(r.(map[string]any)); !reflect.DeepEqual(got, []string{"details", "owner", "reason", "reason_code", "severity", "status", "tags"}) {
			t.Errorf("%s keys %v", name, got)
		}
	}
	// Members appear in rule order.
	s := string(js)
	last := -1
	for _, n := range names(out.Validation.Results) {
		i := strings.Index(s, `"`+n+`":{"status"`)
		if i < last {
			t.Errorf("%s out of order", n)
		}
		last = i
	}
	// Results round-trip through JSON, order included.
	var back Results
	raw, _ := json.Marshal(out.Validation.Results)
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names(back), names(out.Validation.Results)) {
		t.Errorf("round trip order %v", names(back))
	}
	raw2, _ := json.Marshal(back)
	var a, b any
	_ = json.Unmarshal(raw, &a)
	_ = json.Unmarshal(raw2, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("round trip changed the JSON")
	}
	var nullRes Results
	if err := json.Unmarshal([]byte("null"), &nullRes); err != nil || nullRes != nil {
		t.Errorf("null results")
	}
	if err := json.Unmarshal([]byte("[1]"), &nullRes); err == nil {
		t.Errorf("array accepted")
	}
	// A summary without a recommended stage omits the key.
	js, _ = json.Marshal(Summary{Status: Pass, ActiveSet: []string{}})
	if string(js) != `{"status":"pass","active":false,"active_set":[]}` {
		t.Errorf("summary JSON %s", js)
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestEvaluateDeterministic(t *testing.T) {
	p := annotated(t)
	set := SetInput{Stage: "paper", PolicyVersion: "7", Candidates: []Candidate{
		{StrategyID: "a", Metrics: annotatedMetrics()},
		{StrategyID: "b", Metrics: doc("returns.sharpe", 0.3, "sample.n_trades_total", 10, "live_sharpe", 0.1)},
		{StrategyID: "c", Metrics: good()},
	}, Previous: []string{"b"}, Correlations: []Correlation{{A: "a", B: "c", Rho: 0.95}}}
	first, _ := json.Marshal(EvaluateSet(p, set))
	for i := 0; i < 30; i++ {
		again, _ := json.Marshal(EvaluateSet(p, set))
		if !bytes.Equal(first, again) {
			t.Fatalf("run %d differs", i)
		}
	}
}

func TestEvaluatePrecomputedFlat(t *testing.T) {
	p := annotated(t)
	d := annotatedMetrics()
	a, _ := json.Marshal(Evaluate(p, Input{StrategyID: "s", Stage: "paper", Metrics: d}))
	b, _ := json.Marshal(Evaluate(p, Input{StrategyID: "s", Stage: "paper", Metrics: d, Flat: metrics.Flatten(d)}))
	if !bytes.Equal(a, b) {
		t.Errorf("precomputed flat map changes the outcome")
	}
}

func TestEvaluateSetOutcome(t *testing.T) {
	p := pol(t, "validation_profiles: {custom: {}}\ntop_k: {metric: sharpe, k: 1}")
	out := EvaluateSet(p, SetInput{Stage: "shadow", PolicyVersion: "3", Candidates: []Candidate{
		{StrategyID: "a", Metrics: doc("sharpe", 1)}, {StrategyID: "b", Metrics: doc("sharpe", 2)},
	}})
	if *out.Profile != "custom" || *out.PolicyVersion != "3" || out.RecommendedStage != "" || !reflect.DeepEqual(out.Selected, []string{"b"}) {
		t.Errorf("set outcome %+v", out)
	}
	if out.Strategies[0].Summary.Active || !out.Strategies[1].Summary.Active || out.Strategies[0].Summary.RecommendedStage != "" {
		t.Errorf("strategies %+v", out.Strategies)
	}
}

func TestEvaluateDoesNotMutateInputs(t *testing.T) {
	p := annotated(t)
	d := annotatedMetrics()
	before, _ := json.Marshal(d)
	prev := []string{"x"}
	Evaluate(p, Input{StrategyID: "s", Stage: "paper", Metrics: d, Previous: prev})
	after, _ := json.Marshal(d)
	if !bytes.Equal(before, after) || prev[0] != "x" {
		t.Errorf("inputs mutated")
	}
	if len(p.Thresholds) != 1 {
		t.Errorf("policy mutated")
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	p := annotated(t)
	want, _ := json.Marshal(Evaluate(p, Input{StrategyID: "s", Stage: "paper", Metrics: annotatedMetrics()}))
	done := make(chan []byte)
	for i := 0; i < 8; i++ {
		go func() {
			b, _ := json.Marshal(Evaluate(p, Input{StrategyID: "s", Stage: "paper", Metrics: annotatedMetrics()}))
			done <- b
		}()
	}
	for i := 0; i < 8; i++ {
		if got := <-done; !bytes.Equal(got, want) {
			t.Errorf("concurrent evaluation differs")
		}
	}
}

var _ = policy.Blocking

func TestAvailableMetricsJSON(t *testing.T) {
	out := Evaluate(pol(t, "{}"), Input{StrategyID: "s", Metrics: doc("z", 1, "returns.sharpe", 2)})
	r, _ := out.Validation.Results.Get(DataCurrency)
	js, err := json.Marshal(r.Details.Map()["available_metrics"])
	if err != nil || string(js) != `["returns.sharpe","sharpe","z"]` {
		t.Errorf("%s %v", js, err)
	}
	var back map[string]any
	raw, _ := json.Marshal(r)
	_ = json.Unmarshal(raw, &back)
	if got := back["details"].(map[string]any)["available_metrics"]; !reflect.DeepEqual(got, []any{"returns.sharpe", "sharpe", "z"}) {
		t.Errorf("decoded %v", got)
	}
}

func TestDetailsJSON(t *testing.T) {
	d := Details{{"b", 1.5}, {"a", nil}}
	d.Set("a", "x")
	d.Set("c", []string{"y"})
	js, err := json.Marshal(d)
	if err != nil || string(js) != `{"b":1.5,"a":"x","c":["y"]}` {
		t.Errorf("%s %v", js, err)
	}
	var back Details
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if v, _ := back.Get("c"); !reflect.DeepEqual(v, []any{"y"}) || back[0].Key != "b" {
		t.Errorf("back %#v", back)
	}
	if _, ok := back.Get("zz"); ok {
		t.Errorf("phantom key")
	}
	var empty Details
	if js, _ := json.Marshal(empty); string(js) != "{}" {
		t.Errorf("nil details %s", js)
	}
	if err := json.Unmarshal([]byte("null"), &back); err != nil || back != nil {
		t.Errorf("null")
	}
	if err := json.Unmarshal([]byte("[]"), &back); err == nil {
		t.Errorf("array accepted")
	}
	if _, err := json.Marshal(Details{{"f", func() {}}}); err == nil {
		t.Errorf("unencodable accepted")
	}
}

func TestMultiCheckReasons(t *testing.T) {
	out := Evaluate(pol(t, "stress: {scenarios: {a: {dd_max: 0.1, es_99: 0.1}, b: {dd_max: 0.1}}}"), Input{StrategyID: "s", Metrics: doc("stress.b.max_drawdown", 0.5)})
	r, _ := out.Validation.Results.Get(Stress)
	if r.Reason != "b_dd_exceeds_max, a_dd_missing, a_es_missing" {
		t.Errorf("stress reason %q", r.Reason)
	}
	out = Evaluate(pol(t, "live_monitoring: {sharpe_min: 0, dd_max: 0.1, decay_threshold: 1}"), Input{StrategyID: "s", Metrics: doc("live_max_drawdown", 0.5)})
	r, _ = out.Validation.Results.Get(LiveMonitoring)
	if r.Status != Fail || r.ReasonCode != "live_sharpe_missing" || r.Reason != "live_sharpe_missing, live_dd_exceeds_max, live_decay_missing" {
		t.Errorf("live %+v", r)
	}
}

func TestProfilesSwitchByStage(t *testing.T) {
	p := pol(t, `{
 "validation_profiles": {
  "backtest": {"sample": {"min_effective_years": 2.0, "min_trades_total": 100}, "performance": {"sharpe_min": 0.5, "max_dd_max": 0.3}},
  "paper": {"sample": {"min_effective_years": 3.0}, "performance": {"sharpe_min": 0.8, "max_dd_max": 0.2, "gain_to_pain_min": 1.2},
            "robustness": {"dsr_min": 0.25}, "risk": {"adv_utilization_p95_max": 0.3}}},
 "default_profile_by_stage": {"backtest_only": "backtest", "paper_only": "paper"},
 "selection": {"top_k": {"metric": "sharpe", "k": 1}}}`)
	m := doc("effective_history_years", 2.5, "n_trades_total", 150, "sharpe", 0.65, "max_drawdown", 0.25,
		"gain_to_pain_ratio", 1.1, "deflated_sharpe_ratio", 0.3, "adv_utilization_p95", 0.25)
	bt := Evaluate(p, Input{StrategyID: "s1", Stage: "backtest", Metrics: m})
	if *bt.Validation.Profile != "backtest" || !bt.Summary.Active || bt.Summary.RecommendedStage != StageBacktestOnly {
		t.Errorf("backtest %+v %+v", bt.Validation.Profile, bt.Summary)
	}
	pp := Evaluate(p, Input{StrategyID: "s1", Stage: "paper_only", Metrics: m})
	perf, _ := pp.Validation.Results.Get(Performance)
	if *pp.Validation.Profile != "paper" || pp.Summary.Active || perf.ReasonCode != "performance_thresholds_failed" || pp.Summary.Status != Fail {
		t.Errorf("paper %+v %+v", pp.Summary, perf)
	}
	// The sample thresholds of the paper profile fail too (effective years 2.5 < 3).
	if s, _ := pp.Validation.Results.Get(Sample); s.ReasonCode != "sample_thresholds_failed" || s.Reason != "Sample thresholds failed: effective_history_years" {
		t.Errorf("sample %+v", s)
	}
	if perf.Reason != "effective_history_years below minimum 3.0" {
		t.Errorf("reason %q", perf.Reason)
	}
}
