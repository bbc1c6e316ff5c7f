package processor

// Scope is one permission a bearer token may carry. Scopes are independent:
// a write scope does not imply read, so give a token every scope it needs.
type Scope string

// The scopes worldval knows; a configured token naming any other scope is
// refused at start.
const (
	// ScopeRead reads runs, policies, reports, risk-hub snapshots and metrics.
	ScopeRead Scope = "read"
	// ScopeSubmit submits evaluation runs.
	ScopeSubmit Scope = "submit"
	// ScopePolicyWrite writes world policies.
	ScopePolicyWrite Scope = "policy:write"
	// ScopeOverrideWrite records and re-reviews overrides.
	ScopeOverrideWrite Scope = "override:write"
	// ScopeHubWrite publishes risk-hub snapshots.
	ScopeHubWrite Scope = "hub:write"
)

// Scopes returns every known scope, in a fixed order. The slice is new on
// each call; the caller may keep or change it.
func Scopes() []Scope {
	return []Scope{ScopeRead, ScopeSubmit, ScopePolicyWrite, ScopeOverrideWrite, ScopeHubWrite}
}

// scopeSet is a set of known scopes, one bit per position in [Scopes].
type scopeSet uint8

// scopeBit returns the bit of s, and false for an unknown scope.
func scopeBit(s Scope) (scopeSet, bool) {
	for i, known := range Scopes() {
		if s == known {
			return 1 << i, true
		}
	}
	return 0, false
}

// has reports whether the set holds s.
func (set scopeSet) has(s Scope) bool {
	bit, ok := scopeBit(s)
	return ok && set&bit != 0
}
