package events

// The world aggregate (stream world/{world}) holds a world's settings: the
// world record of validation-core §1 and §6.7 that is not part of any policy
// version.
const (
	// CategoryWorld is the stream category of the world aggregate.
	CategoryWorld = "world"
	// TypeWorldSettingsUpdated is the type of [WorldSettingsUpdated].
	TypeWorldSettingsUpdated = "WorldSettingsUpdated"
)

// WorldStream names the stream of a world's settings.
func WorldStream(world string) (string, error) {
	return Stream(CategoryWorld, world)
}

// WorldRiskProfile is a world's risk_profile (validation-core §6.7). It
// drives fail-closed enforcement and the re-review window of overrides; it is
// unrelated to a run's risk_tier label.
type WorldRiskProfile struct {
	// Tier is high, medium or low (lower case); "" when not set.
	Tier string `json:"tier,omitempty"`
	// MaxCapitalAtRiskPct is the world's capital-at-risk budget, in percent
	// (0 to 100); nil when not set.
	MaxCapitalAtRiskPct *float64 `json:"max_capital_at_risk_pct,omitempty"`
	// ClientCritical marks the world as client-critical.
	ClientCritical bool `json:"client_critical,omitempty"`
}

// WorldValidation is the world-level validation block that Invariant 2
// inspects (validation-core §10.4). Its values are lower case; "" means
// unset.
type WorldValidation struct {
	// OnError is fail or warn.
	OnError string `json:"on_error,omitempty"`
	// OnMissingMetric is fail, warn or ignore.
	OnMissingMetric string `json:"on_missing_metric,omitempty"`
}

// WorldSettingsUpdated records a world's settings as a whole: each event
// replaces the previous settings, so the latest event is the world record.
type WorldSettingsUpdated struct {
	// WorldID is the world.
	WorldID string `json:"world_id"`
	// RiskProfile is the world's risk profile; nil when not set.
	RiskProfile *WorldRiskProfile `json:"risk_profile,omitempty"`
	// ClientCritical is the world-level client_critical flag, which also
	// makes a high-tier world critical (validation-core §1).
	ClientCritical bool `json:"client_critical,omitempty"`
	// Validation is the world-level validation block; nil when the world
	// has none (a violation of Invariant 2 for a high-tier critical world).
	Validation *WorldValidation `json:"validation,omitempty"`
	// AllowLive is the world's allow_live flag; nil when not set. The
	// validation layer records it and reads nothing from it.
	AllowLive *bool `json:"allow_live,omitempty"`
	// UpdatedBy is the principal that changed the settings.
	UpdatedBy string `json:"updated_by,omitempty"`
}
