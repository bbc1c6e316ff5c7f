package processor

import (
	"fmt"
	"strings"
	"time"

	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/validation/extended"
)

// ExtendedValidationConfig configures the extended validation layers
// (risk-hub spec §3): the constants of the portfolio layer and the cohort's
// extreme-Sharpe warning. Unset optional fields are off.
type ExtendedValidationConfig struct {
	// DefaultCorrelation stands in for a missing off-diagonal covariance
	// entry and a missing pairwise correlation of the fallback baseline
	// (O2), in [−1, 1]. Default 0.5; 0 reproduces QMTL.
	DefaultCorrelation *float64 `yaml:"default_correlation"`
	// Z99 is the one-sided 99 % normal quantile of VaR99 = Z99·σ (O15).
	// Default 2.33.
	Z99 float64 `yaml:"z_99"`
	// ESFactor is ES99/VaR99 (O15), ≥ 1. Default 1.2.
	ESFactor float64 `yaml:"es_factor"`
	// ExtremeSharpeMax, when set, warns every member of a cohort in which a
	// member's Sharpe exceeds it (O4; the design suggests 4).
	ExtremeSharpeMax *float64 `yaml:"extreme_sharpe_max"`
	// TopKMetric is what the cohort's top k is ranked by (O3): "sharpe"
	// (QMTL) or "deflated_sharpe_ratio". Default "sharpe".
	TopKMetric string `yaml:"top_k_metric"`
}

// SetDefaults fills every empty field with its default.
func (c *ExtendedValidationConfig) SetDefaults() {
	p := extended.DefaultParams()
	if c.DefaultCorrelation == nil {
		c.DefaultCorrelation = &p.DefaultCorrelation
	}
	if c.Z99 == 0 {
		c.Z99 = p.Z
	}
	if c.ESFactor == 0 {
		c.ESFactor = p.ESFactor
	}
	setDefaultString(&c.TopKMetric, "sharpe")
}

// Validate reports every invalid field as a [*ConfigError] with paths
// relative to the block, or returns nil.
func (c *ExtendedValidationConfig) Validate() error {
	var v validator
	if r := c.DefaultCorrelation; r != nil && (*r < -1 || *r > 1) {
		v.add("default_correlation", "must be in [-1, 1], got %g", *r)
	}
	if c.Z99 <= 0 {
		v.add("z_99", "must be positive, got %g", c.Z99)
	}
	if c.ESFactor < 1 {
		v.add("es_factor", "must be at least 1 (ES is never below VaR), got %g", c.ESFactor)
	}
	switch c.TopKMetric {
	case "sharpe", handlers.TopKByDSR:
	default:
		v.add("top_k_metric", "%q is not sharpe or %s", c.TopKMetric, handlers.TopKByDSR)
	}
	return v.err()
}

// params returns the portfolio constants.
func (c *ExtendedValidationConfig) params() extended.Params {
	p := extended.Params{Z: c.Z99, ESFactor: c.ESFactor}
	if c.DefaultCorrelation != nil {
		p.DefaultCorrelation = *c.DefaultCorrelation
	}
	return p
}

// LiveMonitoringConfig configures the live monitor (risk-hub spec §3.7).
type LiveMonitoringConfig struct {
	// Interval is how often every world with a snapshot is monitored.
	// Default 1h (3600 s).
	Interval time.Duration `yaml:"interval"`
	// ESMax, when set, fails the live_monitoring rule when the mean live
	// ES over the strategies exceeds it (O18).
	ESMax *float64 `yaml:"es_max"`
}

// SetDefaults fills every empty field with its default.
func (c *LiveMonitoringConfig) SetDefaults() { setDefaultDuration(&c.Interval, time.Hour) }

// Validate reports every invalid field as a [*ConfigError] with paths
// relative to the block, or returns nil.
func (c *LiveMonitoringConfig) Validate() error {
	var v validator
	if c.Interval <= 0 {
		v.add("interval", "must be positive, got %s", c.Interval)
	}
	if c.ESMax != nil && *c.ESMax < 0 {
		v.add("es_max", "must not be negative, got %g", *c.ESMax)
	}
	return v.err()
}

// ExitConfig configures the exit engine (risk-hub spec §5). Every limit is
// off until set; with none, the engine emits nothing.
type ExitConfig struct {
	// VaR99Max bounds the VaR99 of a snapshot's portfolio; above it every
	// strategy is reduced pro rata by 1 − max/VaR.
	VaR99Max *float64 `yaml:"var_99_max"`
	// ES99Max does the same with the portfolio's ES99.
	ES99Max *float64 `yaml:"es_99_max"`
	// StressDDMax bounds the drawdown of stress scenarios; a breach
	// reduces the strategy by StressReduceRatio.
	StressDDMax []StressLimitConfig `yaml:"stress_dd_max"`
	// StressReduceRatio is the reduction of a stress breach, in [0, 1].
	// Default 0.5.
	StressReduceRatio float64 `yaml:"stress_reduce_ratio"`
	// LiveDDMax bounds a strategy's live drawdown; above it the strategy
	// is frozen.
	LiveDDMax *float64 `yaml:"live_dd_max"`
	// LiveDecayMin bounds a strategy's live/backtest Sharpe ratio from
	// below; under it the strategy is reduced by LiveDecayReduceRatio.
	LiveDecayMin *float64 `yaml:"live_decay_min"`
	// LiveDecayReduceRatio is the reduction of a live decay, in [0, 1].
	// Default 0.5.
	LiveDecayReduceRatio float64 `yaml:"live_decay_reduce_ratio"`
	// FreezeWorldIDs lists worlds whose every snapshot yields a freeze.
	FreezeWorldIDs []string `yaml:"freeze_world_ids"`
	// DrainWorldIDs lists worlds whose every snapshot yields a drain.
	DrainWorldIDs []string `yaml:"drain_world_ids"`
}

// StressLimitConfig is the drawdown limit of one stress scenario.
type StressLimitConfig struct {
	// Scenario is the scenario name, as in the snapshot's stress results.
	Scenario string `yaml:"scenario"`
	// Max bounds the scenario's |max_drawdown| (else |dd_max|).
	Max float64 `yaml:"max"`
}

// SetDefaults fills every empty field with its default.
func (c *ExitConfig) SetDefaults() {
	if c.StressReduceRatio == 0 {
		c.StressReduceRatio = 0.5
	}
	if c.LiveDecayReduceRatio == 0 {
		c.LiveDecayReduceRatio = 0.5
	}
}

// Validate reports every invalid field as a [*ConfigError] with paths
// relative to the block, or returns nil.
func (c *ExitConfig) Validate() error {
	var v validator
	for _, l := range []struct {
		key string
		v   *float64
	}{{"var_99_max", c.VaR99Max}, {"es_99_max", c.ES99Max}, {"live_dd_max", c.LiveDDMax}} {
		if l.v != nil && *l.v <= 0 {
			v.add(l.key, "must be positive, got %g", *l.v)
		}
	}
	for _, r := range []struct {
		key string
		v   float64
	}{{"stress_reduce_ratio", c.StressReduceRatio}, {"live_decay_reduce_ratio", c.LiveDecayReduceRatio}} {
		if r.v < 0 || r.v > 1 {
			v.add(r.key, "must be in [0, 1], got %g", r.v)
		}
	}
	seen := map[string]bool{}
	for i, l := range c.StressDDMax {
		path := fmt.Sprintf("stress_dd_max[%d]", i)
		switch {
		case strings.TrimSpace(l.Scenario) == "":
			v.add(path+".scenario", "empty")
		case seen[l.Scenario]:
			v.add(path+".scenario", "scenario %q is limited twice", l.Scenario)
		}
		seen[l.Scenario] = true
		if l.Max <= 0 {
			v.add(path+".max", "must be positive, got %g", l.Max)
		}
	}
	for _, list := range []struct {
		key string
		ids []string
	}{{"freeze_world_ids", c.FreezeWorldIDs}, {"drain_world_ids", c.DrainWorldIDs}} {
		for i, id := range list.ids {
			if strings.TrimSpace(id) == "" {
				v.add(fmt.Sprintf("%s[%d]", list.key, i), "empty")
			}
		}
	}
	return v.err()
}

// rules returns the exit rules of the block.
func (c *ExitConfig) rules() extended.ExitRules {
	r := extended.ExitRules{
		VaR99Max: c.VaR99Max, ES99Max: c.ES99Max, StressReduceRatio: c.StressReduceRatio,
		LiveDDMax: c.LiveDDMax, LiveDecayMin: c.LiveDecayMin, LiveDecayReduceRatio: c.LiveDecayReduceRatio,
		Freeze: c.FreezeWorldIDs, Drain: c.DrainWorldIDs,
	}
	for _, l := range c.StressDDMax {
		r.StressDD = append(r.StressDD, extended.ScenarioLimit{Scenario: l.Scenario, Max: l.Max})
	}
	return r
}

// extendedConfigs returns the configurations of the extended validation
// handler, the live monitor and the exit engine.
func extendedConfigs(c *Config) (handlers.ExtendedConfig, handlers.LiveConfig, handlers.ExitConfig) {
	p := c.ExtendedValidation.params()
	return handlers.ExtendedConfig{Params: p, ExtremeSharpeMax: c.ExtendedValidation.ExtremeSharpeMax, TopKMetric: c.ExtendedValidation.TopKMetric, LiveESMax: c.LiveMonitoring.ESMax},
		handlers.LiveConfig{Interval: c.LiveMonitoring.Interval, ESMax: c.LiveMonitoring.ESMax},
		handlers.ExitConfig{Rules: c.Exit.rules(), Params: p}
}
