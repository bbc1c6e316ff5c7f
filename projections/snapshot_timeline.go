package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/worldval/worldval/events"
)

// SnapshotTimelineName is the stable name of the [SnapshotTimeline]
// projection.
const SnapshotTimelineName = "snapshot_timeline"

// Limits of [SnapshotTimeline.List] (D18).
const (
	// DefaultSnapshotListLimit is the page size when none is asked for.
	DefaultSnapshotListLimit = 10
	// MaxSnapshotListLimit caps the page size.
	MaxSnapshotListLimit = 500
)

// SnapshotTimeline is the read model of every recorded risk snapshot, by
// world and version, folded from RiskSnapshotRecorded: the stored snapshot
// of each version (with references, not offloaded content) and an index of
// each world's snapshots by expiry. It serves the list and the look-ups by
// version and by as_of (spec §2.14, D12, D18);
// every query skips snapshots expired at the instant it is given. Create it
// with [NewSnapshotTimeline]. Queries are safe for concurrent use with one
// writer.
type SnapshotTimeline struct {
	engine
}

var _ Projection = (*SnapshotTimeline)(nil)

// NewSnapshotTimeline returns the timeline over store, decoding events with
// reg. It refuses nil dependencies.
func NewSnapshotTimeline(store Store, reg *events.Registry) (*SnapshotTimeline, error) {
	p := &SnapshotTimeline{}
	e, err := newEngine(SnapshotTimelineName, store, reg, p)
	if err != nil {
		return nil, err
	}
	p.engine = e
	return p, nil
}

func (p *SnapshotTimeline) handles(t string) bool { return t == events.TypeRiskSnapshotRecorded }

func (p *SnapshotTimeline) valueKey(world, version string) string {
	return key(p.name, "v", esc(world), esc(version))
}

func (p *SnapshotTimeline) liveSet(world string) string { return key(p.name, "live", esc(world)) }

func (p *SnapshotTimeline) fold(ctx context.Context, t *tx, rec *events.Record, payload any) error {
	s, ok := payload.(*events.RiskSnapshotRecorded)
	if !ok {
		return fmt.Errorf("unexpected payload %T", payload)
	}
	e, err := entryOf(s)
	if err != nil {
		return err
	}
	k := p.valueKey(s.WorldID, s.Version)
	if _, found, err := get[events.RiskSnapshotRecorded](ctx, t, k); err != nil {
		return err
	} else if found {
		return fmt.Errorf("snapshot %s of world %s recorded twice", s.Version, s.WorldID)
	}
	t.put(k, s)
	t.add(p.liveSet(s.WorldID), e.member())
	return nil
}

// Snapshot returns the recorded snapshot of world and version, or an error
// wrapping [ErrNotFound] when there is none or it is expired at now. The
// snapshot is as stored: offloaded members are references.
func (p *SnapshotTimeline) Snapshot(ctx context.Context, world, version string, now time.Time) (*events.RiskSnapshotRecorded, error) {
	s, err := p.stored(ctx, world, version)
	if err != nil {
		return nil, err
	}
	e, err := entryOf(s)
	if err != nil {
		return nil, err
	}
	if e.Expired(now) {
		return nil, fmt.Errorf("snapshot %s of world %s expired at %s: %w", version, world, s.ExpiresAt, ErrNotFound)
	}
	return s, nil
}

// Stored returns the recorded snapshot of world and version whether or not
// it is expired (the answer to an idempotent re-send, D5), or an error
// wrapping [ErrNotFound].
func (p *SnapshotTimeline) Stored(ctx context.Context, world, version string) (*events.RiskSnapshotRecorded, error) {
	return p.stored(ctx, world, version)
}

func (p *SnapshotTimeline) stored(ctx context.Context, world, version string) (*events.RiskSnapshotRecorded, error) {
	raw, err := p.store.Get(ctx, p.valueKey(world, version))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("snapshot %s of world %s: %w", version, world, ErrNotFound)
		}
		return nil, err
	}
	var s events.RiskSnapshotRecorded
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("snapshot %s of world %s: %w", version, world, err)
	}
	return &s, nil
}

// Live returns the index entries of world's snapshots that are not expired
// at now and pass f, in D12 order (oldest first).
func (p *SnapshotTimeline) Live(ctx context.Context, world string, now time.Time, f SnapshotFilter) ([]SnapshotEntry, error) {
	all, err := liveEntries(ctx, p.store, p.liveSet(world), now)
	if err != nil {
		return nil, fmt.Errorf("projection %s: %w", p.name, err)
	}
	out := all[:0]
	for i := range all {
		if f.matches(&all[i]) {
			out = append(out, all[i])
		}
	}
	slices.SortFunc(out, func(a, b SnapshotEntry) int { return CompareSnapshots(&a, &b) })
	return out, nil
}

// List returns the newest limit snapshots of world that are not expired at
// now and pass f, oldest first (D18: filter, then limit). limit 0 means
// [DefaultSnapshotListLimit]; larger than [MaxSnapshotListLimit] is capped;
// negative wraps [ErrInvalidQuery].
func (p *SnapshotTimeline) List(ctx context.Context, world string, now time.Time, f SnapshotFilter, limit int) ([]*events.RiskSnapshotRecorded, error) {
	switch {
	case limit < 0:
		return nil, fmt.Errorf("%w: negative limit %d", ErrInvalidQuery, limit)
	case limit == 0:
		limit = DefaultSnapshotListLimit
	case limit > MaxSnapshotListLimit:
		limit = MaxSnapshotListLimit
	}
	live, err := p.Live(ctx, world, now, f)
	if err != nil {
		return nil, err
	}
	if len(live) > limit {
		live = live[len(live)-limit:]
	}
	out := make([]*events.RiskSnapshotRecorded, 0, len(live))
	for _, e := range live {
		s, err := p.stored(ctx, world, e.Version)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// AsOf returns the greatest snapshot of world (D12 order) that is not
// expired at now and whose as_of instant is at or before asOf, or an error
// wrapping [ErrNotFound].
func (p *SnapshotTimeline) AsOf(ctx context.Context, world string, asOf, now time.Time) (*events.RiskSnapshotRecorded, error) {
	live, err := p.Live(ctx, world, now, SnapshotFilter{})
	if err != nil {
		return nil, err
	}
	for i := len(live) - 1; i >= 0; i-- {
		if !live[i].AsOf.After(asOf) {
			return p.stored(ctx, world, live[i].Version)
		}
	}
	return nil, fmt.Errorf("no snapshot of world %s as of %s: %w", world, asOf.Format(time.RFC3339Nano), ErrNotFound)
}
