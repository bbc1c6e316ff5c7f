package policy

// Severity says how a failing rule affects the run's summary status
// (validation-core §8.2): blocking fails the run, soft and info degrade it to
// warn.
type Severity string

// Severities accepted by the DSL.
const (
	// Blocking makes a failing rule fail the run.
	Blocking Severity = "blocking"
	// Soft makes a failing rule degrade the run to warn.
	Soft Severity = "soft"
	// Info is informational, yet a failing info rule still degrades the run to
	// warn (QMTL behaviour, validation-core §9.1).
	Info Severity = "info"
)

// Owner names the team accountable for a rule. It is informational only.
type Owner string

// Owners accepted by the DSL.
const (
	// Quant owns strategy-quality rules.
	Quant Owner = "quant"
	// Risk owns risk and portfolio rules.
	Risk Owner = "risk"
	// Ops owns data and operational rules.
	Ops Owner = "ops"
)

// Meta holds a block's optional severity and owner overrides; the zero value
// means "use the rule's default" (validation-core §8.2).
type Meta struct {
	// Severity overrides the rule's default severity when non-empty.
	Severity Severity
	// Owner overrides the rule's default owner when non-empty.
	Owner Owner
}

// SeverityOr returns the override, or def when none is set.
func (m Meta) SeverityOr(def Severity) Severity {
	if m.Severity != "" {
		return m.Severity
	}
	return def
}

// OwnerOr returns the override, or def when none is set.
func (m Meta) OwnerOr(def Owner) Owner {
	if m.Owner != "" {
		return m.Owner
	}
	return def
}

// Error-handling modes of the validation block (validation-core §6.4).
const (
	// ModeFail is the fail-closed default of on_error and on_missing_metric.
	ModeFail = "fail"
	// ModeWarn turns an error or a missing metric into a non-blocking warn.
	ModeWarn = "warn"
	// ModeIgnore (on_missing_metric only) skips thresholds whose metric is
	// absent.
	ModeIgnore = "ignore"
)

// Validation is the policy's error-handling block.
type Validation struct {
	// OnError is the status of a rule whose evaluation raised an error:
	// "fail" (default) or "warn".
	OnError string
	// OnMissingMetric is what a threshold with an absent metric does: "fail"
	// (default), "warn" or "ignore".
	OnMissingMetric string
}

// withDefaults fills empty fields with the fail-closed defaults.
func (v Validation) withDefaults() Validation {
	if v.OnError == "" {
		v.OnError = ModeFail
	}
	if v.OnMissingMetric == "" {
		v.OnMissingMetric = ModeFail
	}
	return v
}

// Threshold is a generic bound on one metric: it passes iff the value is ≥ Min
// (when set) and ≤ Max (when set); a threshold with neither only requires the
// metric to be present.
type Threshold struct {
	// Key is the threshold's name in the document (profile thresholds use the
	// metric name).
	Key string
	// Metric is the flat-map name the bound applies to (§5).
	Metric string
	// Min is the inclusive lower bound, or nil.
	Min *float64
	// Max is the inclusive upper bound, or nil.
	Max *float64
}

// TopK keeps the K candidates with the highest Metric.
type TopK struct {
	// Metric ranks the candidates (absent = −∞).
	Metric string
	// K is the number kept; always > 0.
	K int
}

// Correlation blocks a candidate whose |ρ| with an already selected one
// exceeds Max.
type Correlation struct {
	// Max is the largest allowed absolute correlation, in [−1, 1].
	Max float64
}

// Hysteresis keeps previously active strategies while Metric ≥ Exit and
// admits others only when Metric ≥ Enter.
type Hysteresis struct {
	// Metric is the flat-map name tested.
	Metric string
	// Enter is the bar for strategies that were not active.
	Enter float64
	// Exit is the bar for previously active strategies.
	Exit float64
}

// Governance holds the live-promotion settings; they do not affect validation.
type Governance struct {
	// LivePromotionMode is disabled, manual_approval (default) or auto_apply;
	// empty when the governance block has no live_promotion.
	LivePromotionMode string
}
