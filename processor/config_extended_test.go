package processor

import (
	"strings"
	"testing"
	"time"
)

// defaultExtendedValidation is the extended_validation block with its
// defaults.
func defaultExtendedValidation() ExtendedValidationConfig {
	rho := 0.5
	return ExtendedValidationConfig{DefaultCorrelation: &rho, Z99: 2.33, ESFactor: 1.2, TopKMetric: "sharpe"}
}

// TestExtendedConfigBlocks loads the extended_validation, live_monitoring
// and exit blocks from a file and the environment: numbers (an integer
// is a number too), optional numbers, a 0 that is not the default, lists.
func TestExtendedConfigBlocks(t *testing.T) {
	path := writeConfig(t, `
extended_validation:
  default_correlation: 0
  z_99: 2.3263
  extreme_sharpe_max: 4
  top_k_metric: deflated_sharpe_ratio
live_monitoring:
  interval: 15m
  es_max: 0.03
exit:
  var_99_max: 0.05
  stress_dd_max:
    - {scenario: crash, max: 0.3}
  freeze_world_ids: [w1]
`)
	cfg, err := LoadConfig(path, envMap(map[string]string{"WORLDVAL_EXIT_LIVE_DD_MAX": "0.2", "WORLDVAL_EXIT_DRAIN_WORLD_IDS": "w2, w3"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, lm, ex := cfg.ExtendedValidation, cfg.LiveMonitoring, cfg.Exit
	if ev.DefaultCorrelation == nil || *ev.DefaultCorrelation != 0 || ev.Z99 != 2.3263 || ev.ESFactor != 1.2 || ev.ExtremeSharpeMax == nil || *ev.ExtremeSharpeMax != 4 {
		t.Errorf("extended_validation %+v", ev)
	}
	if lm.Interval != 15*time.Minute || lm.ESMax == nil || *lm.ESMax != 0.03 {
		t.Errorf("live_monitoring %+v", lm)
	}
	if ex.VaR99Max == nil || *ex.VaR99Max != 0.05 || ex.ES99Max != nil || len(ex.StressDDMax) != 1 || ex.StressDDMax[0].Max != 0.3 ||
		ex.LiveDDMax == nil || *ex.LiveDDMax != 0.2 || strings.Join(ex.DrainWorldIDs, ",") != "w2,w3" || ex.StressReduceRatio != 0.5 {
		t.Errorf("exit %+v", ex)
	}
	ext, live, exit := extendedConfigs(&cfg)
	if ext.Params.DefaultCorrelation != 0 || ext.Params.Z != 2.3263 || ext.TopKMetric != "deflated_sharpe_ratio" || *ext.LiveESMax != 0.03 || live.Interval != 15*time.Minute ||
		len(exit.Rules.StressDD) != 1 || len(exit.Rules.Freeze) != 1 || exit.Params.Z != 2.3263 {
		t.Errorf("handler configurations %+v %+v %+v", ext, live, exit)
	}
}

func TestExtendedConfigRefusals(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"extended_validation:\n  default_correlation: 1.5\n", "extended_validation.default_correlation: must be in [-1, 1]"},
		{"extended_validation:\n  es_factor: 0.9\n", "extended_validation.es_factor: must be at least 1"},
		{"extended_validation:\n  top_k_metric: dsr\n", "extended_validation.top_k_metric: \"dsr\" is not sharpe or deflated_sharpe_ratio"},
		{"extended_validation:\n  z_99: .inf\n", "extended_validation.z_99: \".inf\" is not a finite number"},
		{"extended_validation:\n  z_99: \"2.33\"\n", "extended_validation.z_99: expected a number"},
		{"live_monitoring:\n  interval: 3600\n", "live_monitoring.interval: expected a duration"},
		{"exit:\n  var_99_max: -1\n", "exit.var_99_max: must be positive"},
		{"exit:\n  stress_reduce_ratio: 2\n", "exit.stress_reduce_ratio: must be in [0, 1]"},
		{"exit:\n  stress_dd_max: [{scenario: crash, max: 0.3}, {scenario: crash, max: 0.2}]\n", "exit.stress_dd_max[1].scenario: scenario \"crash\" is limited twice"},
	} {
		_, err := LoadConfig(writeConfig(t, c.yaml), envMap(nil), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
	if _, err := LoadConfig("", envMap(map[string]string{"WORLDVAL_EXIT_ES_99_MAX": "x"}), nil); err == nil || !strings.Contains(err.Error(), "not a finite number") {
		t.Errorf("bad variable: %v", err)
	}
}
