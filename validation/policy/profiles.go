package policy

// Profile is one entry of validation_profiles: up to four sections, each of
// which produces thresholds and carries its rule's severity/owner overrides
// (validation-core §6.2).
type Profile struct {
	// Name is the profile's key in the document, as written.
	Name string
	// Sample configures the Sample rule; nil when the section is absent.
	Sample *SampleSection
	// Performance configures the Performance rule.
	Performance *PerformanceSection
	// Robustness configures the Robustness rule.
	Robustness *RobustnessSection
	// Risk carries risk thresholds (checked by Performance) and the
	// RiskConstraint rule's severity/owner.
	Risk *RiskSection
}

// SampleSection is validation_profiles.<name>.sample.
type SampleSection struct {
	// MinEffectiveYears becomes effective_history_years ≥ value.
	MinEffectiveYears *float64
	// MinTradesTotal becomes n_trades_total ≥ value.
	MinTradesTotal *int
	Meta
}

// PerformanceSection is validation_profiles.<name>.performance.
type PerformanceSection struct {
	// SharpeMin becomes sharpe ≥ value (per-period Sharpe).
	SharpeMin *float64
	// MaxDDMax becomes max_drawdown ≤ value.
	MaxDDMax *float64
	// GainToPainMin becomes gain_to_pain_ratio ≥ value.
	GainToPainMin *float64
	Meta
}

// RobustnessSection is validation_profiles.<name>.robustness.
type RobustnessSection struct {
	// DSRMin becomes deflated_sharpe_ratio ≥ value and a Robustness check.
	DSRMin *float64
	// CVSharpeGapMax bounds |sharpe_first_half − sharpe_second_half| in the
	// Robustness rule only (no threshold).
	CVSharpeGapMax *float64
	Meta
}

// RiskSection is validation_profiles.<name>.risk.
type RiskSection struct {
	// ADVUtilizationP95Max becomes adv_utilization_p95 ≤ value.
	ADVUtilizationP95Max *float64
	// ParticipationRateP95Max becomes participation_rate_p95 ≤ value.
	ParticipationRateP95Max *float64
	Meta
}

// Thresholds returns the thresholds the profile's sections produce, keyed by
// metric name, in the order effective_history_years, n_trades_total, sharpe,
// max_drawdown, gain_to_pain_ratio, deflated_sharpe_ratio,
// adv_utilization_p95, participation_rate_p95 (validation-core §7.3).
func (p *Profile) Thresholds() []Threshold {
	var out []Threshold
	add := func(metric string, min, max *float64) {
		out = append(out, Threshold{Key: metric, Metric: metric, Min: min, Max: max})
	}
	if s := p.Sample; s != nil {
		if s.MinEffectiveYears != nil {
			add("effective_history_years", s.MinEffectiveYears, nil)
		}
		if s.MinTradesTotal != nil {
			v := float64(*s.MinTradesTotal)
			add("n_trades_total", &v, nil)
		}
	}
	if s := p.Performance; s != nil {
		if s.SharpeMin != nil {
			add("sharpe", s.SharpeMin, nil)
		}
		if s.MaxDDMax != nil {
			add("max_drawdown", nil, s.MaxDDMax)
		}
		if s.GainToPainMin != nil {
			add("gain_to_pain_ratio", s.GainToPainMin, nil)
		}
	}
	if s := p.Robustness; s != nil && s.DSRMin != nil {
		add("deflated_sharpe_ratio", s.DSRMin, nil)
	}
	if s := p.Risk; s != nil {
		if s.ADVUtilizationP95Max != nil {
			add("adv_utilization_p95", nil, s.ADVUtilizationP95Max)
		}
		if s.ParticipationRateP95Max != nil {
			add("participation_rate_p95", nil, s.ParticipationRateP95Max)
		}
	}
	return out
}

// Section metadata accessors, safe on absent sections.

// SampleMeta returns the sample section's severity/owner overrides.
func (p *Profile) SampleMeta() Meta {
	if p == nil || p.Sample == nil {
		return Meta{}
	}
	return p.Sample.Meta
}

// PerformanceMeta returns the performance section's severity/owner overrides.
func (p *Profile) PerformanceMeta() Meta {
	if p == nil || p.Performance == nil {
		return Meta{}
	}
	return p.Performance.Meta
}

// RobustnessMeta returns the robustness section's severity/owner overrides.
func (p *Profile) RobustnessMeta() Meta {
	if p == nil || p.Robustness == nil {
		return Meta{}
	}
	return p.Robustness.Meta
}

// RiskMeta returns the risk section's severity/owner overrides.
func (p *Profile) RiskMeta() Meta {
	if p == nil || p.Risk == nil {
		return Meta{}
	}
	return p.Risk.Meta
}

var (
	profileKeys     = []string{"sample", "performance", "robustness", "risk"}
	sampleKeys      = []string{"min_effective_years", "min_trades_total", "severity", "owner"}
	performanceKeys = []string{"sharpe_min", "max_dd_max", "gain_to_pain_min", "severity", "owner"}
	robustnessKeys  = []string{"dsr_min", "cv_sharpe_gap_max", "severity", "owner"}
	riskKeys        = []string{"adv_utilization_p95_max", "participation_rate_p95_max", "severity", "owner"}
)

func (d *decoder) profile(name string, n *node, path string) Profile {
	p := Profile{Name: name}
	if !d.object(n, path, profileKeys...) {
		return p
	}
	if s := n.get("sample"); !s.isNull() {
		sp := childPath(path, "sample")
		if d.object(s, sp, sampleKeys...) {
			p.Sample = &SampleSection{
				MinEffectiveYears: d.number(s.get("min_effective_years"), childPath(sp, "min_effective_years")),
				MinTradesTotal:    d.integer(s.get("min_trades_total"), childPath(sp, "min_trades_total")),
				Meta:              d.meta(s, sp),
			}
		}
	}
	if s := n.get("performance"); !s.isNull() {
		sp := childPath(path, "performance")
		if d.object(s, sp, performanceKeys...) {
			p.Performance = &PerformanceSection{
				SharpeMin:     d.number(s.get("sharpe_min"), childPath(sp, "sharpe_min")),
				MaxDDMax:      d.number(s.get("max_dd_max"), childPath(sp, "max_dd_max")),
				GainToPainMin: d.number(s.get("gain_to_pain_min"), childPath(sp, "gain_to_pain_min")),
				Meta:          d.meta(s, sp),
			}
		}
	}
	if s := n.get("robustness"); !s.isNull() {
		sp := childPath(path, "robustness")
		if d.object(s, sp, robustnessKeys...) {
			p.Robustness = &RobustnessSection{
				DSRMin:         d.number(s.get("dsr_min"), childPath(sp, "dsr_min")),
				CVSharpeGapMax: d.number(s.get("cv_sharpe_gap_max"), childPath(sp, "cv_sharpe_gap_max")),
				Meta:           d.meta(s, sp),
			}
		}
	}
	if s := n.get("risk"); !s.isNull() {
		sp := childPath(path, "risk")
		if d.object(s, sp, riskKeys...) {
			p.Risk = &RiskSection{
				ADVUtilizationP95Max:    d.number(s.get("adv_utilization_p95_max"), childPath(sp, "adv_utilization_p95_max")),
				ParticipationRateP95Max: d.number(s.get("participation_rate_p95_max"), childPath(sp, "participation_rate_p95_max")),
				Meta:                    d.meta(s, sp),
			}
		}
	}
	return p
}
