package policy

import (
	"reflect"
	"testing"
)

func TestNormStage(t *testing.T) {
	for in, want := range map[string]string{" Paper-Only ": "paper_only", "LIVE": "live", "": "", "dry-run": "dry_run"} {
		if got := NormStage(in); got != want {
			t.Errorf("NormStage(%q) = %q", in, got)
		}
	}
}

func TestChooseProfile(t *testing.T) {
	sample := `
validation_profiles: {backtest: {}, paper: {}}
default_profile_by_stage: {backtest_only: backtest, paper_only: paper}
`
	cases := []struct {
		name, doc, stage, want string
		ok                     bool
	}{
		// Consequences listed in validation-core §7.2.
		{"sample live", sample, "live", "backtest", true},
		{"sample shadow", sample, "shadow", "backtest", true},
		{"sample no stage", sample, "", "backtest", true},
		{"sample paper_only", sample, "paper_only", "paper", true},
		{"sample paper via _only", sample, "paper", "paper", true},
		{"sample backtest via _only", sample, " BackTest ", "backtest", true},
		{"no profiles", "default_profile_by_stage: {live: x}", "live", "", false},
		{"exact stage key first", "validation_profiles: {a: {}, b: {}}\ndefault_profile_by_stage: {paper_only: a, paper: b}", "paper", "b", true},
		{"stage named like a profile", "validation_profiles: {a: {}, Live: {}}\ndefault_profile_by_stage: {backtest: a}", "live", "Live", true},
		{"mapping to missing profile is skipped", "validation_profiles: {a: {}, live: {}}\ndefault_profile_by_stage: {live: nope}", "live", "live", true},
		{"paper_ok_live_candidate only by exact stage", "validation_profiles: {bt: {}, lv: {}}\ndefault_profile_by_stage: {backtest_only: bt, paper_ok_live_candidate: lv}", "live", "bt", true},
		{"paper_ok_live_candidate exact", "validation_profiles: {bt: {}, lv: {}}\ndefault_profile_by_stage: {backtest_only: bt, paper_ok_live_candidate: lv}", "paper-ok-live-candidate", "lv", true},
		{"first mapped in document order", "validation_profiles: {a: {}, b: {}}\ndefault_profile_by_stage: {x: zzz, y: b, z: a}", "live", "b", true},
		{"backtest fallback", "validation_profiles: {a: {}, paper: {}, BackTest: {}}", "live", "BackTest", true},
		{"paper fallback", "validation_profiles: {a: {}, Paper: {}}", "", "Paper", true},
		{"first profile fallback", "validation_profiles: {z: {}, a: {}}", "live", "z", true},
		{"mapping value normalized", "validation_profiles: {paper_x: {}, b: {}}\ndefault_profile_by_stage: {paper: ' Paper-X '}", "paper", "paper_x", true},
		{"later normalized profile wins", "validation_profiles: {Paper: {}, paper: {}}", "paper", "paper", true},
		{"later normalized mapping key wins", "validation_profiles: {a: {}, b: {}}\ndefault_profile_by_stage: {Paper: a, paper: b}", "paper", "b", true},
		{"empty mapping value", "validation_profiles: {a: {}, b: {}}\ndefault_profile_by_stage: {paper: '', x: b}", "paper", "b", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, c.doc)
			got, ok := p.ChooseProfile(c.stage)
			if got != c.want || ok != c.ok {
				t.Errorf("got (%q, %v), want (%q, %v)", got, ok, c.want, c.ok)
			}
			// A hand-built policy (no cache) must choose the same.
			hand := *p
			hand.cache = nil
			if got2, ok2 := hand.ChooseProfile(c.stage); got2 != got || ok2 != ok {
				t.Errorf("uncached choice (%q, %v)", got2, ok2)
			}
		})
	}
}

func TestMaterializeThresholds(t *testing.T) {
	p := mustParse(t, `
thresholds:
  lag: {metric: lag_seconds, max: 300}
  sharpe: {metric: sharpe, min: -1, max: 10}
  sharpe_floor: {metric: sharpe, min: 0}
validation_profiles:
  backtest:
    performance: {sharpe_min: 0.08, max_dd_max: 0.25}
    sample: {min_trades_total: 50}
  paper:
    performance: {sharpe_min: 0.5}
validation: {on_missing_metric: warn}
`)
	m := p.Materialize("backtest", false)
	want := []Threshold{
		{Key: "lag", Metric: "lag_seconds", Max: f(300)},
		{Key: "sharpe", Metric: "sharpe", Min: f(0.08)},
		{Key: "sharpe_floor", Metric: "sharpe", Min: f(0)},
		{Key: "n_trades_total", Metric: "n_trades_total", Min: f(50)},
		{Key: "max_drawdown", Metric: "max_drawdown", Max: f(0.25)},
	}
	if !reflect.DeepEqual(m.Thresholds, want) {
		t.Errorf("thresholds\n got %+v\nwant %+v", m.Thresholds, want)
	}
	if m.ProfileName != "backtest" || !m.HasProfile || m.Profile != p.ProfileByName("backtest") {
		t.Errorf("profile %q %v", m.ProfileName, m.HasProfile)
	}
	if m.Validation != (Validation{"fail", "warn"}) {
		t.Errorf("validation %+v", m.Validation)
	}
	if fc := p.Materialize("backtest", true); fc.Validation != (Validation{"fail", "fail"}) {
		t.Errorf("fail-closed %+v", fc.Validation)
	}
	// The policy's own thresholds are untouched.
	if len(p.Thresholds) != 3 || *p.Thresholds[1].Min != -1 {
		t.Errorf("policy mutated: %+v", p.Thresholds)
	}
	if pm := p.Materialize("paper", false); len(pm.Thresholds) != 3 || *pm.Thresholds[1].Min != 0.5 || pm.Thresholds[1].Max != nil {
		t.Errorf("paper thresholds %+v", pm.Thresholds)
	}
	none := mustParse(t, "thresholds: {a: {metric: x}}").Materialize("paper", false)
	if none.HasProfile || none.Profile != nil || len(none.Thresholds) != 1 {
		t.Errorf("no profile %+v", none)
	}
}

func TestClassify(t *testing.T) {
	cases := map[string]Group{
		"lag_seconds": GroupDataCurrency, "Stale_days": GroupDataCurrency, "freshness": GroupDataCurrency,
		"as_of_lag": GroupDataCurrency, "coverage_ratio": GroupDataCurrency, "lagoon_trades": GroupDataCurrency,
		"sample_days": GroupSample, "history_len": GroupSample, "effective_history_years": GroupSample,
		"n_trades_total": GroupSample, "num_trades": GroupSample, "trades_60d": GroupSample, "avg_Trade_size": GroupSample,
		"adv_utilization_p95": GroupRisk, "participation_rate_p95": GroupRisk, "exposure_gross": GroupRisk,
		"var_p01": GroupRisk, "es_p01": GroupRisk, "estimated_x": GroupRisk, "beta": GroupRisk,
		"correlation_max": GroupRisk, "leverage": GroupRisk, "tail_ratio": GroupRisk,
		"sharpe": GroupPerformance, "max_drawdown": GroupPerformance, "gain_to_pain_ratio": GroupPerformance,
		"deflated_sharpe_ratio": GroupPerformance, "returns.sharpe": GroupPerformance, "adv": GroupPerformance,
		"stress.crash.var_99": GroupPerformance, "sample.n_trades_total": GroupSample, "risk.var_99": GroupPerformance,
	}
	for m, want := range cases {
		if got := Classify(m); got != want {
			t.Errorf("Classify(%q) = %v, want %v", m, got, want)
		}
	}
	if GroupRisk.String() != "risk" || GroupPerformance.String() != "performance" || GroupSample.String() != "sample" || GroupDataCurrency.String() != "data_currency" {
		t.Errorf("names")
	}
	p := mustParse(t, "thresholds: {a: {metric: lag_s}, b: {metric: trades_60d, min: 1}, c: {metric: sharpe}}\nvalidation_profiles: {p: {sample: {min_trades_total: 5}}}")
	m := p.Materialize("", false)
	if !reflect.DeepEqual(m.DataCurrencyMetrics, []string{"lag_s"}) || len(m.SampleThresholds) != 2 || m.SampleThresholds[1].Metric != "n_trades_total" {
		t.Errorf("groups %v %+v", m.DataCurrencyMetrics, m.SampleThresholds)
	}
}

func TestNormStageFastPath(t *testing.T) {
	for in, want := range map[string]string{"paper": "paper", "paper_only": "paper_only", "Paper": "paper", "a\tb": "a\tb",
		"\tlive\n": "live", "ünï": "ünï", "ÜNÏ": "ünï", "x-y": "x_y"} {
		if got := NormStage(in); got != want {
			t.Errorf("NormStage(%q) = %q, want %q", in, got, want)
		}
	}
}
