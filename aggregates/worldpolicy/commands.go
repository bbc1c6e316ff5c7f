package worldpolicy

import (
	"bytes"
	"fmt"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/internal/canon"
	"github.com/worldval/worldval/events"
)

// Publish is the command that adds a policy version to a world.
type Publish struct {
	// Meta carries the idempotency key (required), the time and the actor.
	// Its Index is ignored.
	Meta events.Meta
	// WorldID is the world the policy belongs to.
	WorldID string
	// Policy is the policy document as JSON (a YAML upload is converted
	// before it gets here). It must be a JSON object.
	Policy []byte
	// RulesetHash maps each validation profile to its ruleset hash, when
	// the caller computed them.
	RulesetHash map[string]string
	// PublishedBy is the principal publishing the policy.
	PublishedBy string
}

// Publish decides a publication: PolicyPublished with the next version
// (latest + 1, starting at 1) and a checksum over the canonical document; for
// a world's first policy also DefaultPolicySet (version 1, previous 0) in the
// same decision, because the first policy becomes the default. A retried
// publication (an idempotency key already applied) yields no events.
func (p *Policy) Publish(reg *events.Registry, cmd Publish) ([]events.Event, error) {
	switch {
	case cmd.Meta.IdempotencyKey == "":
		return nil, errcode.New(errcode.Validation, "the publication has no idempotency key")
	case p.keys[cmd.Meta.IdempotencyKey]:
		return nil, nil
	case cmd.WorldID == "":
		return nil, errcode.New(errcode.Validation, "world_id is required")
	case p.worldID != "" && cmd.WorldID != p.worldID:
		return nil, errcode.New(errcode.Validation, "policy for world %q sent to the stream of world %q", cmd.WorldID, p.worldID)
	}
	if b := bytes.TrimSpace(cmd.Policy); len(b) == 0 || b[0] != '{' {
		return nil, errcode.New(errcode.PolicyInvalid, "invalid policy: the document must be a JSON object")
	}
	sum, err := canon.Hash(cmd.Policy)
	if err != nil {
		return nil, errcode.Wrap(errcode.PolicyInvalid, err, "invalid policy: the document is not valid JSON")
	}
	version := p.Latest() + 1
	payloads := []any{events.PolicyPublished{
		WorldID:       cmd.WorldID,
		PolicyVersion: version,
		Policy:        cmd.Policy,
		Checksum:      sum,
		RulesetHash:   cmd.RulesetHash,
		PublishedBy:   cmd.PublishedBy,
	}}
	if p.defaultVer == 0 {
		payloads = append(payloads, events.DefaultPolicySet{WorldID: cmd.WorldID, PolicyVersion: version, PreviousVersion: 0})
	}
	return build(reg, cmd.Meta, payloads)
}

// SetDefault is the command that makes a published version the world's
// default.
type SetDefault struct {
	// Meta carries the idempotency key (required), the time and the actor.
	// Its Index is ignored.
	Meta events.Meta
	// Version is the version to make the default.
	Version int
}

// SetDefault decides a change of default: DefaultPolicySet with the previous
// default. A version the world does not have is
// [errcode.PolicyVersionNotFound]; the version that already is the default,
// or a retried command, yields no events.
func (p *Policy) SetDefault(reg *events.Registry, cmd SetDefault) ([]events.Event, error) {
	switch {
	case cmd.Meta.IdempotencyKey == "":
		return nil, errcode.New(errcode.Validation, "the command has no idempotency key")
	case p.keys[cmd.Meta.IdempotencyKey]:
		return nil, nil
	case cmd.Version < 1 || cmd.Version > p.Latest():
		return nil, errcode.New(errcode.PolicyVersionNotFound, "policy version %d not found", cmd.Version).
			WithDetail("world_id", p.worldID).WithDetail("version", cmd.Version)
	case cmd.Version == p.defaultVer:
		return nil, nil
	}
	return build(reg, cmd.Meta, []any{events.DefaultPolicySet{WorldID: p.worldID, PolicyVersion: cmd.Version, PreviousVersion: p.defaultVer}})
}

// build turns the payloads of one decision into events numbered from 0.
func build(reg *events.Registry, m events.Meta, payloads []any) ([]events.Event, error) {
	out := make([]events.Event, len(payloads))
	for i, pl := range payloads {
		m.Index = i
		ev, err := reg.New(pl, m)
		if err != nil {
			return nil, fmt.Errorf("world policy: %w", err)
		}
		out[i] = ev
	}
	return out, nil
}
