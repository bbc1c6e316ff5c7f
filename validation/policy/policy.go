package policy

// Policy is a parsed and validated world policy (validation-core §6), with the
// legacy selection keys already normalized (§6.1).
//
// A Policy returned by [Parse] is treated as immutable: it is safe for
// concurrent use by any number of evaluations, and its ruleset hashes are
// computed once per chosen profile. Build a new Policy rather than changing
// one in place.
type Policy struct {
	// Profiles are the validation profiles in document order.
	Profiles []Profile
	// DefaultProfileByStage maps stage keys to profile names, in document
	// order (keys and values as written).
	DefaultProfileByStage []StageProfile
	// Validation is the error-handling block; empty fields mean "fail".
	Validation Validation
	// Thresholds are the merged legacy thresholds: selection.thresholds
	// entries, then top-level-only entries.
	Thresholds []Threshold
	// TopK is selection.top_k, else top_k.
	TopK *TopK
	// Correlation is selection.correlation, else correlation.
	Correlation *Correlation
	// Hysteresis is selection.hysteresis, else hysteresis.
	Hysteresis *Hysteresis
	// Cohort is the cohort block, or nil.
	Cohort *Cohort
	// Portfolio is the portfolio block, or nil.
	Portfolio *Portfolio
	// Benchmark is the benchmark block, or nil.
	Benchmark *Benchmark
	// Stress is the stress block, or nil.
	Stress *Stress
	// PaperShadowConsistency is the paper_shadow_consistency block, or nil.
	PaperShadowConsistency *PaperShadowConsistency
	// LiveMonitoring is the live_monitoring block, or nil.
	LiveMonitoring *LiveMonitoring
	// Governance holds the live-promotion settings, or nil.
	Governance *Governance
	// VersionLabel is the document's policy_version (else version) metadata
	// key as a string, "" when absent. It is the policy_version recorded for
	// an inline policy (§9.4).
	VersionLabel string
	// Warnings lists accepted-but-ignored content (unknown top-level keys,
	// stage mappings naming no profile), to be reported on upload.
	Warnings []Warning

	cache *hashCache
}

// StageProfile is one entry of default_profile_by_stage.
type StageProfile struct {
	// Stage is the key as written (compared after normalization).
	Stage string
	// Profile is the profile name it maps to.
	Profile string
}

// ValidationModes returns the validation block with defaults applied and, when
// failClosed is true, both modes forced to "fail" (the enforcement for
// high-tier critical worlds, §6.7).
func (p *Policy) ValidationModes(failClosed bool) Validation {
	v := p.Validation.withDefaults()
	if failClosed {
		v = Validation{OnError: ModeFail, OnMissingMetric: ModeFail}
	}
	return v
}

// ProfileByName returns the profile with exactly this name, or nil.
func (p *Policy) ProfileByName(name string) *Profile {
	for i := range p.Profiles {
		if p.Profiles[i].Name == name {
			return &p.Profiles[i]
		}
	}
	return nil
}
