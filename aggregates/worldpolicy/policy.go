package worldpolicy

import (
	"encoding/json"
	"fmt"

	"github.com/worldval/worldval/events"
)

// Policy is the state of one world's policies, folded from its stream. The
// zero Policy is a world without policies. A Policy is a plain value: it is not
// safe for concurrent mutation, and Apply is the only method that changes it.
type Policy struct {
	worldID    string
	published  []events.PolicyPublished // published[v-1] is version v
	defaultVer int
	keys       map[string]bool // idempotency keys already applied
	version    uint64
}

// WorldID returns the world the policies belong to ("" before the first
// publication).
func (p *Policy) WorldID() string { return p.worldID }

// Latest returns the newest version (0: none).
func (p *Policy) Latest() int { return len(p.published) }

// Versions returns the published versions in ascending order.
func (p *Policy) Versions() []int {
	out := make([]int, len(p.published))
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// DefaultVersion returns the default version (0: no policy yet).
func (p *Policy) DefaultVersion() int { return p.defaultVer }

// Published returns the publication of version v.
func (p *Policy) Published(v int) (events.PolicyPublished, bool) {
	if v < 1 || v > len(p.published) {
		return events.PolicyPublished{}, false
	}
	return p.published[v-1], true
}

// Document returns the policy document of version v.
func (p *Policy) Document(v int) (json.RawMessage, bool) {
	pub, ok := p.Published(v)
	return pub.Policy, ok
}

// Version returns the stream version of the last applied event.
func (p *Policy) Version() uint64 { return p.version }

// Apply folds one stored event into the state. Unknown event types are
// skipped; a publication out of sequence or a default that names an unknown
// version is an error.
func (p *Policy) Apply(rec *events.Record, payload any) error {
	switch e := payload.(type) {
	case *events.PolicyPublished:
		if want := len(p.published) + 1; e.PolicyVersion != want {
			return fmt.Errorf("world policy %q: published version %d, expected %d", e.WorldID, e.PolicyVersion, want)
		}
		if p.worldID != "" && e.WorldID != p.worldID {
			return fmt.Errorf("world policy %q: publication for world %q", p.worldID, e.WorldID)
		}
		p.worldID = e.WorldID
		p.published = append(p.published, *e)
	case *events.DefaultPolicySet:
		if e.PolicyVersion < 1 || e.PolicyVersion > len(p.published) {
			return fmt.Errorf("world policy %q: default set to unknown version %d", p.worldID, e.PolicyVersion)
		}
		p.defaultVer = e.PolicyVersion
	}
	if rec.IdempotencyKey != "" {
		if p.keys == nil {
			p.keys = make(map[string]bool)
		}
		p.keys[rec.IdempotencyKey] = true
	}
	p.version = rec.StreamVersion
	return nil
}
