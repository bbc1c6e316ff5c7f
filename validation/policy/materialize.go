package policy

// Materialized is a policy resolved for one evaluation (validation-core §7.3):
// the chosen profile, the thresholds that apply, the merged legacy selection,
// the effective validation modes and the extended blocks.
//
// The slices and pointers are shared with the policy and must not be modified.
type Materialized struct {
	// ProfileName is the chosen profile's name; meaningful when HasProfile.
	ProfileName string
	// HasProfile is false when the policy has no profiles.
	HasProfile bool
	// Profile is the chosen profile, nil when none. Its metadata (severity,
	// owner, dsr_min, cv_sharpe_gap_max) drives the core rules.
	Profile *Profile
	// Thresholds are the legacy thresholds with the profile's thresholds set
	// by metric key (replacing a same-key legacy entry in place).
	Thresholds []Threshold
	// TopK is the merged legacy top_k, or nil.
	TopK *TopK
	// Correlation is the merged legacy correlation constraint, or nil.
	Correlation *Correlation
	// Hysteresis is the merged legacy hysteresis, or nil.
	Hysteresis *Hysteresis
	// DataCurrencyMetrics are the metrics of the data-currency-group
	// thresholds, in threshold order (DataCurrency requires them).
	DataCurrencyMetrics []string
	// SampleThresholds are the sample-group thresholds (Sample re-checks
	// them).
	SampleThresholds []Threshold
	// Validation holds the effective modes (defaults applied, fail-closed
	// enforcement applied).
	Validation Validation
	// Cohort is the policy's cohort block, or nil.
	Cohort *Cohort
	// Portfolio is the policy's portfolio block, or nil.
	Portfolio *Portfolio
	// Benchmark is the policy's benchmark block, or nil.
	Benchmark *Benchmark
	// Stress is the policy's stress block, or nil.
	Stress *Stress
	// PaperShadowConsistency is the policy's paper_shadow_consistency block,
	// or nil.
	PaperShadowConsistency *PaperShadowConsistency
	// LiveMonitoring is the policy's live_monitoring block, or nil.
	LiveMonitoring *LiveMonitoring

	hash     string
	snapshot []byte
}

// Materialize resolves the policy for a stage. failClosed forces both
// validation modes to "fail" (high-tier critical worlds, §6.7); it applies
// before hashing, so it changes the ruleset hash when the policy was lenient.
//
// For a parsed policy the result is computed once per profile and shared:
// it must not be modified.
func (p *Policy) Materialize(stage string, failClosed bool) *Materialized {
	if c := p.cache; c != nil {
		i := 0
		if failClosed {
			i = 1
		}
		if m := c.byStage[i][stage]; m != nil {
			return m
		}
	}
	name, ok := p.ChooseProfile(stage)
	if c := p.cache; c != nil {
		if m, hit := c.get(name, ok, failClosed); hit {
			return m
		}
	}
	return p.materialize(name, ok, failClosed)
}

// materialize builds the resolution for an already chosen profile and
// computes its ruleset hash.
func (p *Policy) materialize(name string, hasProfile, failClosed bool) *Materialized {
	m := &Materialized{
		ProfileName:            name,
		HasProfile:             hasProfile,
		TopK:                   p.TopK,
		Correlation:            p.Correlation,
		Hysteresis:             p.Hysteresis,
		Validation:             p.ValidationModes(failClosed),
		Cohort:                 p.Cohort,
		Portfolio:              p.Portfolio,
		Benchmark:              p.Benchmark,
		Stress:                 p.Stress,
		PaperShadowConsistency: p.PaperShadowConsistency,
		LiveMonitoring:         p.LiveMonitoring,
	}
	m.Thresholds = append(make([]Threshold, 0, len(p.Thresholds)+8), p.Thresholds...)
	if hasProfile {
		m.Profile = p.ProfileByName(name)
		if m.Profile != nil {
			for _, t := range m.Profile.Thresholds() {
				m.Thresholds = setThreshold(m.Thresholds, t)
			}
		}
	}
	for _, t := range m.Thresholds {
		switch Classify(t.Metric) {
		case GroupDataCurrency:
			m.DataCurrencyMetrics = append(m.DataCurrencyMetrics, t.Metric)
		case GroupSample:
			m.SampleThresholds = append(m.SampleThresholds, t)
		}
	}
	m.snapshot, m.hash = rulesetHash(m)
	return m
}

// RulesetHash returns "blake3:" followed by the 64 lower-case hex digits of
// the BLAKE3-256 digest of [Materialized.Snapshot] (CD1, validation-core §9.5).
func (m Materialized) RulesetHash() string {
	if m.hash == "" {
		_, h := rulesetHash(&m)
		return h
	}
	return m.hash
}

// Snapshot returns the RFC 8785 canonical JSON of the resolved rule set that
// the ruleset hash covers; the run stores it as validation.policy_snapshot.
// The returned bytes must not be modified.
func (m Materialized) Snapshot() []byte {
	if m.hash == "" {
		doc, _ := rulesetHash(&m)
		return doc
	}
	return m.snapshot
}

// RulesetHash is shorthand for p.Materialize(stage, failClosed).RulesetHash():
// the ruleset hash an evaluation at this stage records.
func (p *Policy) RulesetHash(stage string, failClosed bool) string {
	return p.Materialize(stage, failClosed).RulesetHash()
}
