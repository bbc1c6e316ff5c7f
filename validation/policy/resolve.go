package policy

import (
	"strconv"
	"strings"
)

// Resolved is the policy an evaluation uses and the policy_version it records
// (validation-core §9.4).
type Resolved struct {
	// Policy is the policy to evaluate.
	Policy *Policy
	// Version is the recorded validation.policy_version; "" means null.
	Version string
	// Inline is true when the request carried the policy.
	Inline bool
}

// Resolve picks the policy for an evaluation: the request's inline policy when
// given, else the world's default policy. For the default policy the recorded
// version is the decimal defaultVersion when it is > 0; for an inline policy
// it is the document's policy_version (else version) metadata key.
//
// A world without any policy cannot be evaluated: Resolve then returns an
// [*Error] with code E_POLICY_INVALID whose message reads "invalid policy:
// world has no policy" and which matches [ErrNoPolicy] (QMTL answers 422
// "invalid policy: …" in this case, validation-core §13.1).
func Resolve(inline, worldDefault *Policy, defaultVersion int) (Resolved, error) {
	if inline != nil {
		return Resolved{Policy: inline, Version: inline.VersionLabel, Inline: true}, nil
	}
	if worldDefault == nil {
		return Resolved{}, &Error{Problems: []Problem{{Code: CodeInvalid, Message: ErrNoPolicy.Error()}}}
	}
	r := Resolved{Policy: worldDefault}
	if defaultVersion > 0 {
		r.Version = strconv.Itoa(defaultVersion)
	}
	return r, nil
}

// RiskProfile is the world-level risk_profile (validation-core §6.7). It lives
// on the world record; a policy document's risk_profile key is ignored.
type RiskProfile struct {
	// Tier is high, medium or low.
	Tier string `json:"tier,omitempty"`
	// MaxCapitalAtRiskPct is the world's capital-at-risk budget in percent.
	MaxCapitalAtRiskPct *float64 `json:"max_capital_at_risk_pct,omitempty"`
	// ClientCritical marks a client-critical world.
	ClientCritical bool `json:"client_critical,omitempty"`
}

// HighTierCritical reports whether a world is high-tier critical: its tier is
// "high" (case-insensitive) and either the risk profile or the world record
// itself (worldClientCritical) marks it client-critical. Such worlds are
// evaluated fail-closed: pass the result as the failClosed argument of
// [Policy.Materialize].
func (r RiskProfile) HighTierCritical(worldClientCritical bool) bool {
	return strings.EqualFold(r.Tier, "high") && (r.ClientCritical || worldClientCritical)
}
