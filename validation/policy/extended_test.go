package policy

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseExtendedSettings: the policy keys that override the service's
// extended-layer settings (risk-hub O2, O3, O4, O15, O18) are read into
// their blocks; absent keys stay unset.
func TestParseExtendedSettings(t *testing.T) {
	p := mustParse(t, `
cohort: {top_k: 2, top_k_metric: deflated_sharpe_ratio, extreme_sharpe_max: 4}
portfolio: {default_correlation: -1, z_99: 2.3263, es_factor: 1}
live_monitoring: {es_max: 0}
`)
	if c := p.Cohort; c.TopKMetric != TopKMetricDSR || c.ExtremeSharpeMax == nil || *c.ExtremeSharpeMax != 4 {
		t.Errorf("cohort %+v", c)
	}
	if c := p.Portfolio; !reflect.DeepEqual(c, &Portfolio{DefaultCorrelation: f(-1), Z99: f(2.3263), ESFactor: f(1)}) {
		t.Errorf("portfolio %+v", c)
	}
	if l := p.LiveMonitoring; !reflect.DeepEqual(l, &LiveMonitoring{ESMax: f(0)}) {
		t.Errorf("live_monitoring %+v", l)
	}
	if c := mustParse(t, "cohort: {top_k_metric: sharpe, extreme_sharpe_max: -0.5}").Cohort; c.TopKMetric != TopKMetricSharpe || *c.ExtremeSharpeMax != -0.5 {
		t.Errorf("cohort %+v", c)
	}
	if c := mustParse(t, `{"portfolio": {"default_correlation": 1, "z_99": 1e-9, "es_factor": 3}}`).Portfolio; *c.DefaultCorrelation != 1 || *c.Z99 != 1e-9 || *c.ESFactor != 3 {
		t.Errorf("portfolio %+v", c)
	}
	// Absent or null: not set, so that the service configuration applies.
	p = mustParse(t, "cohort: {top_k: 2, top_k_metric: null}\nportfolio: {z_99: ~}\nlive_monitoring: {sharpe_min: 0}")
	if p.Cohort.TopKMetric != "" || p.Cohort.ExtremeSharpeMax != nil || p.Portfolio.Z99 != nil || p.Portfolio.ESFactor != nil ||
		p.Portfolio.DefaultCorrelation != nil || p.LiveMonitoring.ESMax != nil {
		t.Errorf("unset keys read as set: %+v %+v %+v", p.Cohort, p.Portfolio, p.LiveMonitoring)
	}
}

func TestParseExtendedSettingsRejected(t *testing.T) {
	const V = CodeInvalidValue
	cases := []struct {
		name, doc string
		want      []wantProblem
		message   string
	}{
		{"top_k_metric unknown", "cohort: {top_k_metric: sortino}", []wantProblem{{"cohort.top_k_metric", V}}, "must be one of sharpe, deflated_sharpe_ratio"},
		{"top_k_metric case", "cohort: {top_k_metric: Sharpe}", []wantProblem{{"cohort.top_k_metric", V}}, ""},
		{"top_k_metric empty", "cohort: {top_k_metric: ''}", []wantProblem{{"cohort.top_k_metric", V}}, ""},
		{"top_k_metric type", "cohort: {top_k_metric: 1}", []wantProblem{{"cohort.top_k_metric", V}}, "must be a string, got number"},
		{"extreme_sharpe_max type", "cohort: {extreme_sharpe_max: high}", []wantProblem{{"cohort.extreme_sharpe_max", V}}, "must be a number, got string"},
		{"extreme_sharpe_max inf", "cohort: {extreme_sharpe_max: .inf}", []wantProblem{{"cohort.extreme_sharpe_max", V}}, ""},
		{"default_correlation above", "portfolio: {default_correlation: 1.01}", []wantProblem{{"portfolio.default_correlation", V}}, "must be a number in [-1, 1]"},
		{"default_correlation below", "portfolio: {default_correlation: -2}", []wantProblem{{"portfolio.default_correlation", V}}, ""},
		{"default_correlation type", "portfolio: {default_correlation: '0.5'}", []wantProblem{{"portfolio.default_correlation", V}}, ""},
		{"z_99 zero", "portfolio: {z_99: 0}", []wantProblem{{"portfolio.z_99", V}}, "must be a number > 0"},
		{"z_99 negative", "portfolio: {z_99: -2.33}", []wantProblem{{"portfolio.z_99", V}}, ""},
		{"z_99 type", "portfolio: {z_99: [2.33]}", []wantProblem{{"portfolio.z_99", V}}, "must be a number, got list"},
		{"es_factor below 1", "portfolio: {es_factor: 0.99}", []wantProblem{{"portfolio.es_factor", V}}, "must be a number >= 1"},
		{"es_factor type", "portfolio: {es_factor: true}", []wantProblem{{"portfolio.es_factor", V}}, ""},
		{"es_max negative", "live_monitoring: {es_max: -0.01}", []wantProblem{{"live_monitoring.es_max", V}}, "must be a number >= 0"},
		{"es_max nan", "live_monitoring: {es_max: .nan}", []wantProblem{{"live_monitoring.es_max", V}}, "must be a finite number"},
		{"misspelt", "portfolio: {z99: 2.33, es_factr: 1.2}\ncohort: {topk_metric: sharpe}",
			[]wantProblem{{"cohort.topk_metric", CodeUnknownKey}, {"portfolio.z99", CodeUnknownKey}, {"portfolio.es_factr", CodeUnknownKey}}, ""},
		{"not in other blocks", "benchmark: {z_99: 2.33}\nlive_monitoring: {top_k_metric: sharpe}\nvalidation_profiles: {p: {risk: {es_max: 1}}}",
			[]wantProblem{{"validation_profiles.p.risk.es_max", CodeUnknownKey}, {"benchmark.z_99", CodeUnknownKey}, {"live_monitoring.top_k_metric", CodeUnknownKey}}, ""},
		{"all at once", "cohort: {top_k_metric: x}\nportfolio: {default_correlation: 2, z_99: 0, es_factor: 0.5}\nlive_monitoring: {es_max: -1}",
			[]wantProblem{{"cohort.top_k_metric", V}, {"portfolio.default_correlation", V}, {"portfolio.z_99", V}, {"portfolio.es_factor", V}, {"live_monitoring.es_max", V}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := problems(t, c.doc)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if c.message == "" {
				return
			}
			_, err := Parse([]byte(c.doc))
			if want := c.want[0].path + ": " + c.message; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want it to contain %q", err, want)
			}
		})
	}
}

// TestRulesetHashExtendedSettings: a policy without the new keys hashes
// exactly as before (the snapshot below was written by hand from §9.5, as
// the annotated one); each new key, when set — sharpe included, which
// differs from "not set" when the service ranks by DSR — changes the hash.
func TestRulesetHashExtendedSettings(t *testing.T) {
	const doc = "cohort: {top_k: 2}\nportfolio: {max_incremental_var_99: 0.1}\nlive_monitoring: {sharpe_min: 0}\n"
	base := mustParse(t, doc).Materialize("", false)
	want := `{"cohort":{"top_k":2},"live_monitoring":{"sharpe_min":0},"portfolio":{"max_incremental_var_99":0.1},` +
		`"thresholds":{},"validation":{"on_error":"fail","on_missing_metric":"fail"}}`
	if got := string(base.Snapshot()); got != want {
		t.Fatalf("snapshot without the new keys\n got %s\nwant %s", got, want)
	}
	edits := map[string][2]string{
		"top_k_metric dsr":    {"top_k: 2}", "top_k: 2, top_k_metric: deflated_sharpe_ratio}"},
		"top_k_metric sharpe": {"top_k: 2}", "top_k: 2, top_k_metric: sharpe}"},
		"extreme_sharpe_max":  {"top_k: 2}", "top_k: 2, extreme_sharpe_max: 4}"},
		"default_correlation": {"0.1}", "0.1, default_correlation: 0.5}"},
		"z_99":                {"0.1}", "0.1, z_99: 2.33}"},
		"es_factor":           {"0.1}", "0.1, es_factor: 1.2}"},
		"es_max":              {"sharpe_min: 0}", "sharpe_min: 0, es_max: 0.01}"},
	}
	seen := map[string]string{base.RulesetHash(): "base"}
	for name, e := range edits {
		m := mustParse(t, strings.Replace(doc, e[0], e[1], 1)).Materialize("", false)
		if prev, dup := seen[m.RulesetHash()]; dup {
			t.Errorf("%s: hash equals %s's (%s)", name, prev, m.Snapshot())
		}
		seen[m.RulesetHash()] = name
	}
	m := mustParse(t, "cohort: {top_k_metric: deflated_sharpe_ratio, extreme_sharpe_max: 4}\nportfolio: {default_correlation: 0, z_99: 2.3263, es_factor: 1.1456}\nlive_monitoring: {es_max: 0.02}").Materialize("", false)
	want = `{"cohort":{"extreme_sharpe_max":4,"top_k_metric":"deflated_sharpe_ratio"},"live_monitoring":{"es_max":0.02},` +
		`"portfolio":{"default_correlation":0,"es_factor":1.1456,"z_99":2.3263},"thresholds":{},"validation":{"on_error":"fail","on_missing_metric":"fail"}}`
	if got := string(m.Snapshot()); got != want {
		t.Errorf("snapshot with the new keys\n got %s\nwant %s", got, want)
	}
}
