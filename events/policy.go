package events

import "encoding/json"

// Event types of the world-policy aggregate (stream world-policy/{world}).
const (
	TypePolicyPublished  = "PolicyPublished"
	TypeDefaultPolicySet = "DefaultPolicySet"
)

// PolicyPublished records a new policy version of a world. Versions are
// integers starting at 1, increasing by one per publication.
type PolicyPublished struct {
	WorldID       string          `json:"world_id"`
	PolicyVersion int             `json:"policy_version"`
	Policy        json.RawMessage `json:"policy"`
	// Checksum is the SHA-256 of the canonical policy document.
	Checksum string `json:"checksum"`
	// RulesetHash maps each validation profile to its ruleset hash.
	RulesetHash map[string]string `json:"ruleset_hash,omitempty"`
	PublishedBy string            `json:"published_by,omitempty"`
}

// DefaultPolicySet records that a world's default policy version changed.
type DefaultPolicySet struct {
	WorldID         string `json:"world_id"`
	PolicyVersion   int    `json:"policy_version"`
	PreviousVersion int    `json:"previous_version"`
}
