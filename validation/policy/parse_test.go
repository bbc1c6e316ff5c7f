package policy

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func fixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/annotated_example.yml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func f(v float64) *float64 { return &v }
func i(v int) *int         { return &v }

func TestParseAnnotatedExample(t *testing.T) {
	p, err := Parse(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}
	if p.VersionLabel != "7" {
		t.Errorf("VersionLabel = %q", p.VersionLabel)
	}
	var names []string
	for _, pr := range p.Profiles {
		names = append(names, pr.Name)
	}
	if !reflect.DeepEqual(names, []string{"backtest", "paper", "live"}) {
		t.Errorf("profiles %v", names)
	}
	bt := p.ProfileByName("backtest")
	want := Profile{
		Name:        "backtest",
		Sample:      &SampleSection{MinEffectiveYears: f(2), MinTradesTotal: i(50)},
		Performance: &PerformanceSection{SharpeMin: f(0.08), MaxDDMax: f(0.25), GainToPainMin: f(1), Meta: Meta{Blocking, Quant}},
		Robustness:  &RobustnessSection{DSRMin: f(0.15), CVSharpeGapMax: f(0.6), Meta: Meta{Severity: Soft}},
		Risk:        &RiskSection{ADVUtilizationP95Max: f(0.5), ParticipationRateP95Max: f(0.4), Meta: Meta{Blocking, Risk}},
	}
	if !reflect.DeepEqual(*bt, want) {
		t.Errorf("backtest profile\n got %+v\nwant %+v", *bt, want)
	}
	if got := p.ProfileByName("paper").Robustness.Meta; got != (Meta{Blocking, Risk}) {
		t.Errorf("paper robustness meta %+v", got)
	}
	wantMap := []StageProfile{{"backtest_only", "backtest"}, {"paper_only", "paper"}, {"paper_ok_live_candidate", "live"}}
	if !reflect.DeepEqual(p.DefaultProfileByStage, wantMap) {
		t.Errorf("mapping %+v", p.DefaultProfileByStage)
	}
	if p.Validation != (Validation{"fail", "fail"}) {
		t.Errorf("validation %+v", p.Validation)
	}
	if !reflect.DeepEqual(p.Thresholds, []Threshold{{Key: "lag", Metric: "lag_seconds", Max: f(300)}}) {
		t.Errorf("thresholds %+v", p.Thresholds)
	}
	if *p.TopK != (TopK{"sharpe", 3}) || *p.Correlation != (Correlation{0.8}) || *p.Hysteresis != (Hysteresis{"sharpe", 0.06, 0.04}) {
		t.Errorf("selection %+v %+v %+v", p.TopK, p.Correlation, p.Hysteresis)
	}
	if ps := p.PaperShadowConsistency; ps == nil || *ps.MinSharpeRatio != 0.7 || *ps.MaxDrawdownRatio != 1.5 || ps.Stages != nil {
		t.Errorf("paper_shadow %+v", ps)
	}
	if b := p.Benchmark; b == nil || *b.MinVsBenchmarkSharpe != 0 {
		t.Errorf("benchmark %+v", b)
	}
	if s := p.Stress; s == nil || len(s.Scenarios) != 1 || s.Scenarios[0].Name != "crash_2020" || *s.Scenarios[0].DDMax != 0.3 || *s.Scenarios[0].ES99 != 0.25 || s.Scenarios[0].VaR99 != nil {
		t.Errorf("stress %+v", p.Stress)
	}
	if l := p.LiveMonitoring; l == nil || *l.SharpeMin != 0 || *l.DDMax != 0.3 || *l.DecayThreshold != 0.5 || l.LookbackDays != nil {
		t.Errorf("live %+v", l)
	}
	if p.Cohort != nil || p.Portfolio != nil {
		t.Errorf("unexpected blocks")
	}
}

func TestParseDefaults(t *testing.T) {
	p := mustParse(t, "{}")
	if len(p.Profiles) != 0 || p.Validation != (Validation{}) || p.ValidationModes(false) != (Validation{"fail", "fail"}) {
		t.Errorf("defaults %+v", p)
	}
	// null means absent everywhere.
	p = mustParse(t, "validation: null\nthresholds: ~\ntop_k:\nvalidation_profiles: {a: null}\ncohort: null\n")
	if len(p.Profiles) != 0 || p.TopK != nil || p.Cohort != nil {
		t.Errorf("nulls %+v", p)
	}
}

type wantProblem struct{ path, code string }

func problems(t *testing.T, doc string) []wantProblem {
	t.Helper()
	_, err := Parse([]byte(doc))
	if err == nil {
		t.Fatalf("Parse(%q) accepted", doc)
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v", err, err)
	}
	var out []wantProblem
	for _, p := range pe.Problems {
		out = append(out, wantProblem{p.Path, p.Code})
	}
	return out
}

func TestParseStrictness(t *testing.T) {
	const U, V, I = CodeUnknownKey, CodeInvalidValue, CodeInvalid
	cases := []struct {
		name string
		doc  string
		want []wantProblem
	}{
		{"typo in profile section", "validation_profiles:\n  paper:\n    performance:\n      sharpe_minn: 1\n",
			[]wantProblem{{"validation_profiles.paper.performance.sharpe_minn", U}}},
		{"data_currency inside profile", "validation_profiles: {p: {data_currency: {max_lag: 3}}}",
			[]wantProblem{{"validation_profiles.p.data_currency", U}}},
		{"portfolio inside profile", "validation_profiles: {p: {portfolio: {}}}",
			[]wantProblem{{"validation_profiles.p.portfolio", U}}},
		{"per-metric object", "validation_profiles: {p: {performance: {sharpe_mid: {min: 1, severity: soft}}}}",
			[]wantProblem{{"validation_profiles.p.performance.sharpe_mid", U}}},
		{"doc-only sample key", "validation_profiles: {p: {sample: {require_high_vol_regime: true}}}",
			[]wantProblem{{"validation_profiles.p.sample.require_high_vol_regime", U}}},
		{"doc-only risk keys", "validation_profiles: {p: {risk: {incremental_var_99_max: 1, capacity_estimate_base_min: 2}}}",
			[]wantProblem{{"validation_profiles.p.risk.incremental_var_99_max", U}, {"validation_profiles.p.risk.capacity_estimate_base_min", U}}},
		{"bad severity", "validation_profiles: {p: {robustness: {severity: fatal}}}",
			[]wantProblem{{"validation_profiles.p.robustness.severity", V}}},
		{"bad owner", "cohort: {owner: legal}", []wantProblem{{"cohort.owner", V}}},
		{"severity not a string", "benchmark: {severity: 3}", []wantProblem{{"benchmark.severity", V}}},
		{"numeric string", "validation_profiles: {p: {performance: {sharpe_min: '0.5'}}}",
			[]wantProblem{{"validation_profiles.p.performance.sharpe_min", V}}},
		{"bool as number", "thresholds: {a: {metric: x, min: true}}", []wantProblem{{"thresholds.a.min", V}}},
		{"non-finite", "thresholds: {a: {metric: x, max: .inf}}", []wantProblem{{"thresholds.a.max", V}}},
		{"nan", "correlation: {max: .nan}", []wantProblem{{"correlation.max", V}}},
		{"threshold unknown key", "thresholds: {a: {metric: x, mn: 1}}", []wantProblem{{"thresholds.a.mn", U}}},
		{"threshold metric required", "thresholds: {a: {min: 1}}", []wantProblem{{"thresholds.a.metric", V}}},
		{"threshold metric empty", "thresholds: {a: {metric: ''}}", []wantProblem{{"thresholds.a.metric", V}}},
		{"threshold not a mapping", "thresholds: {a: 3}", []wantProblem{{"thresholds.a", V}}},
		{"top_k k zero", "top_k: {metric: sharpe, k: 0}", []wantProblem{{"top_k.k", V}}},
		{"top_k k fractional", "top_k: {metric: sharpe, k: 1.5}", []wantProblem{{"top_k.k", V}}},
		{"top_k k missing", "top_k: {metric: sharpe}", []wantProblem{{"top_k.k", V}}},
		{"correlation out of range", "correlation: {max: 1.5}", []wantProblem{{"correlation.max", V}}},
		{"correlation unknown", "correlation: {max_pairwise: 0.5}", []wantProblem{{"correlation.max_pairwise", U}, {"correlation.max", V}}},
		{"hysteresis doc-only keys", "hysteresis: {metric: s, enter: 1, exit: 0, promote_after: 2}", []wantProblem{{"hysteresis.promote_after", U}}},
		{"hysteresis required", "hysteresis: {metric: s}", []wantProblem{{"hysteresis.enter", V}, {"hysteresis.exit", V}}},
		{"selection doc-only keys", "selection: {gates: {}, score: x, topk: {total: 3}, constraints: {}}",
			[]wantProblem{{"selection.gates", U}, {"selection.score", U}, {"selection.topk", U}, {"selection.constraints", U}}},
		{"selection nested error", "selection: {thresholds: {a: {metric: x, min: a}}}", []wantProblem{{"selection.thresholds.a.min", V}}},
		{"validation modes", "validation: {on_error: ignore, on_missing_metric: skip}",
			[]wantProblem{{"validation.on_error", V}, {"validation.on_missing_metric", V}}},
		{"validation modes are case-sensitive", "validation: {on_error: FAIL}", []wantProblem{{"validation.on_error", V}}},
		{"validation unknown", "validation: {on_errors: warn}", []wantProblem{{"validation.on_errors", U}}},
		{"sample min_trades_total integer", "validation_profiles: {p: {sample: {min_trades_total: 10.5}}}",
			[]wantProblem{{"validation_profiles.p.sample.min_trades_total", V}}},
		{"cohort top_k", "cohort: {top_k: -1}", []wantProblem{{"cohort.top_k", V}}},
		{"cohort unknown", "cohort: {top_k_by: dsr}", []wantProblem{{"cohort.top_k_by", U}}},
		{"portfolio unknown", "portfolio: {correlation_default: 0.5}", []wantProblem{{"portfolio.correlation_default", U}}},
		{"stress scenario unknown", "stress: {scenarios: {crash: {dd_max: 0.3, max_drawdown: 0.2}}}",
			[]wantProblem{{"stress.scenarios.crash.max_drawdown", U}}},
		{"stress scenarios not a mapping", "stress: {scenarios: [a]}", []wantProblem{{"stress.scenarios", V}}},
		{"paper stages", "paper_shadow_consistency: {stages: [paper, 3]}", []wantProblem{{"paper_shadow_consistency.stages[1]", V}}},
		{"paper stages type", "paper_shadow_consistency: {stages: paper}", []wantProblem{{"paper_shadow_consistency.stages", V}}},
		{"live unknown", "live_monitoring: {var_max: 1}", []wantProblem{{"live_monitoring.var_max", U}}},
		{"live lookback", "live_monitoring: {lookback_days: 2.5}", []wantProblem{{"live_monitoring.lookback_days", V}}},
		{"governance mode", "governance: {live_promotion: {mode: yolo}}", []wantProblem{{"governance.live_promotion.mode", V}}},
		{"profiles not a mapping", "validation_profiles: [a]", []wantProblem{{"validation_profiles", V}}},
		{"profile not a mapping", "validation_profiles: {p: 3}", []wantProblem{{"validation_profiles.p", V}}},
		{"stage mapping value", "default_profile_by_stage: {paper: 3}", []wantProblem{{"default_profile_by_stage.paper", V}}},
		{"dotted key is quoted", "thresholds: {a.b: {metric: x, foo: 1}}", []wantProblem{{`thresholds["a.b"].foo`, U}}},
		{"root not a mapping", "[1, 2]", []wantProblem{{"", I}}},
		{"empty document", "", []wantProblem{{"", I}}},
		{"null document", "null", []wantProblem{{"", I}}},
		{"yaml syntax", "a: [1, 2", []wantProblem{{"", I}}},
		{"json syntax", `{"a": [1, 2}`, []wantProblem{{"a", I}}},
		{"json duplicate", `{"thresholds": {"a": {"metric": "x"}, "a": {"metric": "y"}}}`, []wantProblem{{"thresholds.a", I}}},
		{"yaml duplicate", "validation_profiles:\n  p: {}\n  p: {}\n", []wantProblem{{"validation_profiles.p", I}}},
		{"two yaml documents", "a: 1\n---\nb: 2\n", []wantProblem{{"", I}}},
		{"unsupported tag", "thresholds: {a: {metric: !!binary aGk=}}", []wantProblem{{"thresholds.a.metric", I}}},
		{"wrapper inner not mapping", `{"policy": 3}`, []wantProblem{{"policy", V}}},
		{"wrapper paths", `{"policy": {"cohort": {"bad": 1}}, "preset": "x"}`, []wantProblem{{"policy.cohort.bad", U}}},
		{"many problems", "validation_profiles: {p: {performance: {sharpe_minn: 1, severity: x}}}\ncorrelation: {max: 2}\n",
			[]wantProblem{{"validation_profiles.p.performance.sharpe_minn", U}, {"validation_profiles.p.performance.severity", V}, {"correlation.max", V}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := problems(t, c.doc)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestErrorMessageAndSentinels(t *testing.T) {
	_, err := Parse([]byte("validation_profiles:\n  paper:\n    performance:\n      sharpe_minn: 1\n"))
	if err == nil {
		t.Fatal("accepted")
	}
	if got, want := err.Error(), "invalid policy: validation_profiles.paper.performance.sharpe_minn: unknown key"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if !errors.Is(err, ErrUnknownKey) || errors.Is(err, ErrInvalidValue) {
		t.Errorf("errors.Is mismatch")
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.Code() != CodeUnknownKey {
		t.Errorf("code %v", pe)
	}
	_, err = Parse([]byte("cohort: {owner: x}"))
	if !errors.Is(err, ErrInvalidValue) {
		t.Errorf("invalid value not matched: %v", err)
	}
	_, err = Parse([]byte("a: ["))
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("syntax not matched: %v", err)
	}
	many := "thresholds:\n"
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		many += "  " + k + ": {metric: x, bad: 1}\n"
	}
	_, err = Parse([]byte(many))
	if !errors.As(err, &pe) || len(pe.Problems) != 10 {
		t.Fatalf("want 10 problems: %v", err)
	}
	if got := err.Error(); len(got) > 400 || !strings.HasSuffix(got, "; and 2 more") {
		t.Errorf("long message %q", got)
	}
}

func TestParseScalarsFollowYAML12Core(t *testing.T) {
	cases := []struct {
		doc  string
		want float64
	}{
		{"0777", 777}, {"0o17", 15}, {"0x1F", 31}, {"+12", 12}, {"-3", -3}, {"1e3", 1000},
		{"1.", 1}, {".5", 0.5}, {"2.5E-1", 0.25}, {"!!float 3", 3}, {"!!int 4", 4},
	}
	for _, c := range cases {
		p, err := Parse([]byte("correlation: {max: 0}\nthresholds: {a: {metric: x, min: " + c.doc + "}}"))
		if err != nil {
			t.Errorf("%s: %v", c.doc, err)
			continue
		}
		if got := *p.Thresholds[0].Min; got != c.want {
			t.Errorf("%s: got %v want %v", c.doc, got, c.want)
		}
	}
	// YAML 1.1 spellings that the core schema reads as strings.
	for _, s := range []string{"1_000", "0b101", "yes", "on", "2001-01-01", "1:20", "0x", "'1'", `"2"`, "!!str 3"} {
		if _, err := Parse([]byte("thresholds: {a: {metric: x, min: " + s + "}}")); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: want invalid value (a string), got %v", s, err)
		}
	}
	// Booleans spelled the core way, and a metric named like a number is a string only when quoted.
	if _, err := Parse([]byte("thresholds: {a: {metric: TRUE}}")); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("TRUE is a boolean: %v", err)
	}
	p := mustParse(t, "thresholds: {a: {metric: yes}}")
	if p.Thresholds[0].Metric != "yes" {
		t.Errorf("yes is a string: %q", p.Thresholds[0].Metric)
	}
	if _, err := Parse([]byte("thresholds: {a: {metric: x, min: !!int 1.5}}")); !errors.Is(err, ErrInvalid) {
		t.Errorf("!!int 1.5: %v", err)
	}
}

func TestParseJSONAndYAMLFlow(t *testing.T) {
	p := mustParse(t, `  {"validation_profiles": {"b": {}, "a": {}}, "version": 3}`)
	if p.Profiles[0].Name != "b" || p.VersionLabel != "3" {
		t.Errorf("json order/version: %+v", p)
	}
	p = mustParse(t, `{validation_profiles: {z: {}, y: {}}}`)
	if p.Profiles[0].Name != "z" {
		t.Errorf("yaml flow order: %+v", p.Profiles)
	}
	p = mustParse(t, "\xef\xbb\xbf{\"policy_version\": \"v9\", \"version\": 2}")
	if p.VersionLabel != "v9" {
		t.Errorf("policy_version wins: %q", p.VersionLabel)
	}
	p = mustParse(t, `{"version": 2.5}`)
	if p.VersionLabel != "2.5" {
		t.Errorf("fractional version %q", p.VersionLabel)
	}
}

func TestParseWrapper(t *testing.T) {
	p := mustParse(t, `{"policy": {"validation_profiles": {"x": {}}, "version": 4}, "preset": "p", "preset_mode": "m", "overrides": {}, "extra": 1}`)
	if len(p.Profiles) != 1 || p.VersionLabel != "4" {
		t.Errorf("unwrap %+v", p)
	}
	if len(p.Warnings) != 1 || p.Warnings[0].Path != "extra" {
		t.Errorf("warnings %+v", p.Warnings)
	}
	p = mustParse(t, `{"policy": {}, "policy_version": 8}`)
	if p.VersionLabel != "8" {
		t.Errorf("outer version %q", p.VersionLabel)
	}
}

func TestParseWarnings(t *testing.T) {
	p := mustParse(t, `
data_currency: {max_lag: 3}
position_policy: {}
frobnicate: 1
name: n
description: d
world: w
risk_profile: {tier: high}
campaign: {backtest: {window: 30d}}
validation_profiles: {p: {}}
default_profile_by_stage: {backtest: p, paper: nope}
`)
	var paths []string
	for _, w := range p.Warnings {
		paths = append(paths, w.Path)
	}
	want := []string{"data_currency", "position_policy", "frobnicate", "default_profile_by_stage.paper"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("warnings %v, want %v", paths, want)
	}
	if s := p.Warnings[3].String(); s != `default_profile_by_stage.paper: names no defined profile: "nope"` {
		t.Errorf("warning text %q", s)
	}
}

func TestParseLegacyNormalization(t *testing.T) {
	p := mustParse(t, `
thresholds:
  b: {metric: top_b, min: 1}
  a: {metric: top_a, min: 2}
top_k: {metric: t, k: 1}
hysteresis: {metric: h, enter: 1, exit: 0}
selection:
  thresholds:
    a: {metric: sel_a, max: 3}
    c: {metric: sel_c}
  top_k: {metric: s, k: 2}
  correlation: {max: 0.5}
`)
	want := []Threshold{
		{Key: "a", Metric: "top_a", Min: f(2)},
		{Key: "c", Metric: "sel_c"},
		{Key: "b", Metric: "top_b", Min: f(1)},
	}
	if !reflect.DeepEqual(p.Thresholds, want) {
		t.Errorf("thresholds %+v", p.Thresholds)
	}
	if p.TopK.Metric != "s" || p.Correlation.Max != 0.5 || p.Hysteresis.Metric != "h" {
		t.Errorf("selection precedence %+v %+v %+v", p.TopK, p.Correlation, p.Hysteresis)
	}
}

func TestParseAnchorsAndMergeKeys(t *testing.T) {
	p := mustParse(t, `
base: &base
  performance: {sharpe_min: 0.1, max_dd_max: 0.2}
  sample: {min_trades_total: 10}
other: &other
  performance: {sharpe_min: 0.5}
  robustness: {dsr_min: 0.3}
validation_profiles:
  backtest:
    <<: *base
    sample: {min_trades_total: 20}
  paper:
    <<: [*other, *base]
  live: *other
`)
	bt := p.ProfileByName("backtest")
	if *bt.Sample.MinTradesTotal != 20 || *bt.Performance.SharpeMin != 0.1 {
		t.Errorf("merge override %+v %+v", bt.Sample, bt.Performance)
	}
	pp := p.ProfileByName("paper")
	if *pp.Performance.SharpeMin != 0.5 || pp.Performance.MaxDDMax != nil || *pp.Sample.MinTradesTotal != 10 || *pp.Robustness.DSRMin != 0.3 {
		t.Errorf("merge list precedence %+v %+v", pp.Performance, pp.Sample)
	}
	if lv := p.ProfileByName("live"); *lv.Performance.SharpeMin != 0.5 {
		t.Errorf("alias %+v", lv)
	}
	if _, err := Parse([]byte("validation_profiles: {p: {<<: 3}}")); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad merge: %v", err)
	}
	if _, err := Parse([]byte("a: &a [*a]")); err == nil {
		t.Errorf("recursive alias accepted")
	}
}

func TestParseBillionLaughsIsBounded(t *testing.T) {
	doc := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		doc += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	if _, err := Parse([]byte(doc)); !errors.Is(err, ErrInvalid) {
		t.Errorf("want bounded expansion error, got %v", err)
	}
}

func TestProfileThresholdsOrder(t *testing.T) {
	p := mustParse(t, `validation_profiles: {p: {risk: {participation_rate_p95_max: 1, adv_utilization_p95_max: 2},
  robustness: {dsr_min: 3, cv_sharpe_gap_max: 9}, performance: {gain_to_pain_min: 4, max_dd_max: 5, sharpe_min: 6},
  sample: {min_trades_total: 7, min_effective_years: 8}}}`)
	var got []string
	for _, th := range p.Profiles[0].Thresholds() {
		got = append(got, th.Metric)
	}
	want := []string{"effective_history_years", "n_trades_total", "sharpe", "max_drawdown", "gain_to_pain_ratio",
		"deflated_sharpe_ratio", "adv_utilization_p95", "participation_rate_p95"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v", got)
	}
}

func TestSeverityOwnerCaseInsensitive(t *testing.T) {
	p := mustParse(t, "validation_profiles: {p: {sample: {severity: BLOCKING, owner: Risk}}}\nstress: {severity: '', owner: OPS}")
	if m := p.Profiles[0].SampleMeta(); m != (Meta{Blocking, Risk}) {
		t.Errorf("meta %+v", m)
	}
	if m := p.Stress.Meta; m != (Meta{Owner: Ops}) {
		t.Errorf("empty severity means unset: %+v", m)
	}
	if got := (Meta{}).SeverityOr(Soft); got != Soft {
		t.Errorf("SeverityOr %v", got)
	}
	var nilProfile *Profile
	if nilProfile.RiskMeta() != (Meta{}) || (&Profile{}).PerformanceMeta() != (Meta{}) || (&Profile{}).RobustnessMeta() != (Meta{}) {
		t.Errorf("absent sections")
	}
}
