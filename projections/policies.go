package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/worldval/worldval/events"
)

// PoliciesName is the stable name of the [Policies] projection.
const PoliciesName = "world_policies"

// PolicyInfo describes one published policy version, without its document.
type PolicyInfo struct {
	// Version is the per-world version number, from 1.
	Version int `json:"version"`
	// Checksum is the SHA-256 of the canonical policy document.
	Checksum string `json:"checksum"`
	// RulesetHash maps each validation profile to its ruleset hash.
	RulesetHash map[string]string `json:"ruleset_hash,omitempty"`
	// PublishedBy is the publishing principal (the event's actor when the
	// payload names none).
	PublishedBy string `json:"published_by,omitempty"`
	// PublishedAt is when the version was published (UTC, seconds, "Z").
	PublishedAt string `json:"published_at"`
	// Default is true for the world's default version. It is set by the
	// queries, not stored per version.
	Default bool `json:"default"`
}

// PolicyVersion is one published policy version with its document.
type PolicyVersion struct {
	// WorldID is the world the policy belongs to.
	WorldID string `json:"world_id"`
	PolicyInfo
	// Policy is the policy document as published (JSON).
	Policy json.RawMessage `json:"policy"`
}

// WorldPolicies lists a world's policy versions in ascending order.
type WorldPolicies struct {
	// WorldID is the world.
	WorldID string `json:"world_id"`
	// DefaultVersion is the default version, 0 when none is set.
	DefaultVersion int `json:"default_version"`
	// Versions are the published versions in ascending order, without
	// their documents.
	Versions []PolicyInfo `json:"versions"`
}

// Policies is the read model of every world's policy versions and default
// version, folded from PolicyPublished and DefaultPolicySet. Create it with
// [NewPolicies]. Queries are safe for concurrent use with one writer.
type Policies struct {
	engine
}

var _ Projection = (*Policies)(nil)

// NewPolicies returns the policy projection over store, decoding events with
// reg. It refuses nil dependencies.
func NewPolicies(store Store, reg *events.Registry) (*Policies, error) {
	p := &Policies{}
	e, err := newEngine(PoliciesName, store, reg, p)
	if err != nil {
		return nil, err
	}
	p.engine = e
	return p, nil
}

func (p *Policies) handles(t string) bool {
	return t == events.TypePolicyPublished || t == events.TypeDefaultPolicySet
}

func (p *Policies) fold(ctx context.Context, t *tx, rec *events.Record, payload any) error {
	var world string
	switch e := payload.(type) {
	case *events.PolicyPublished:
		world = e.WorldID
	case *events.DefaultPolicySet:
		world = e.WorldID
	}
	if want, err := events.PolicyStream(world); err != nil || want != rec.Stream {
		return fmt.Errorf("policy event for world %q recorded on stream %s", world, rec.Stream)
	}
	hk := p.worldKey(world)
	head, found, err := get[WorldPolicies](ctx, t, hk)
	if err != nil {
		return err
	}
	if !found {
		head = &WorldPolicies{WorldID: world, Versions: []PolicyInfo{}}
	}
	switch e := payload.(type) {
	case *events.PolicyPublished:
		if want := len(head.Versions) + 1; e.PolicyVersion != want {
			return fmt.Errorf("world %q: published version %d, expected %d", world, e.PolicyVersion, want)
		}
		info := PolicyInfo{
			Version:     e.PolicyVersion,
			Checksum:    e.Checksum,
			RulesetHash: e.RulesetHash,
			PublishedBy: orDefault(e.PublishedBy, rec.Actor),
			PublishedAt: formatSecond(eventTime(rec.OccurredAt, rec.RecordedAt)),
		}
		head.Versions = append(head.Versions, info)
		t.put(p.versionKey(world, e.PolicyVersion), &PolicyVersion{WorldID: world, PolicyInfo: info, Policy: e.Policy})
	case *events.DefaultPolicySet:
		if e.PolicyVersion < 1 || e.PolicyVersion > len(head.Versions) {
			return fmt.Errorf("world %q: default set to unknown version %d", world, e.PolicyVersion)
		}
		head.DefaultVersion = e.PolicyVersion
	}
	t.put(hk, head)
	return nil
}

func (p *Policies) worldKey(world string) string { return key(p.name, "world", esc(world)) }

func (p *Policies) versionKey(world string, v int) string {
	return key(p.name, "world", esc(world), "version", pad(uint64(v)))
}

// World returns the versions of world in ascending order with its default,
// or an error wrapping [ErrNotFound] for a world without policies.
func (p *Policies) World(ctx context.Context, world string) (WorldPolicies, error) {
	raw, err := p.store.Get(ctx, p.worldKey(world))
	if err != nil {
		return WorldPolicies{}, fmt.Errorf("policies of world %q: %w", world, err)
	}
	var w WorldPolicies
	if err := json.Unmarshal(raw, &w); err != nil {
		return WorldPolicies{}, fmt.Errorf("policies of world %q: decode: %w", world, err)
	}
	for i := range w.Versions {
		w.Versions[i].Default = w.Versions[i].Version == w.DefaultVersion
	}
	return w, nil
}

// Version returns one policy version of world with its document, or an
// error wrapping [ErrNotFound].
func (p *Policies) Version(ctx context.Context, world string, version int) (PolicyVersion, error) {
	w, err := p.World(ctx, world)
	if err != nil {
		return PolicyVersion{}, err
	}
	if version < 1 || version > len(w.Versions) {
		return PolicyVersion{}, fmt.Errorf("policy %d of world %q: %w", version, world, ErrNotFound)
	}
	raw, err := p.store.Get(ctx, p.versionKey(world, version))
	if err != nil {
		return PolicyVersion{}, fmt.Errorf("policy %d of world %q: %w", version, world, err)
	}
	var pv PolicyVersion
	if err := json.Unmarshal(raw, &pv); err != nil {
		return PolicyVersion{}, fmt.Errorf("policy %d of world %q: decode: %w", version, world, err)
	}
	pv.Default = version == w.DefaultVersion
	return pv, nil
}

// Default returns the default policy version of world with its document, or
// an error wrapping [ErrNotFound] when the world has none.
func (p *Policies) Default(ctx context.Context, world string) (PolicyVersion, error) {
	w, err := p.World(ctx, world)
	if err != nil {
		return PolicyVersion{}, err
	}
	if w.DefaultVersion == 0 {
		return PolicyVersion{}, fmt.Errorf("default policy of world %q: %w", world, ErrNotFound)
	}
	return p.Version(ctx, world, w.DefaultVersion)
}
