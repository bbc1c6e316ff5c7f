package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/worldval/worldval/events"
)

// SnapshotLatestName is the stable name of the [SnapshotLatest] projection.
const SnapshotLatestName = "snapshot_latest"

// SnapshotLatest is the read model of "latest" for risk snapshots (spec
// §8.4): per world, per world and stage, and per world and actor, an index
// of the recorded snapshots by expiry, so that the latest usable snapshot
// (D12: greatest (as_of instant, created_at, version) among those not
// expired) is found among the live ones alone; plus each world's head, the
// newest snapshot it ever recorded, expired or not, for the freshness probe
// (D19); plus the list of worlds. It answers with versions: the snapshot
// itself is read from [SnapshotTimeline]. Create it with
// [NewSnapshotLatest]. Queries are safe for concurrent use with one writer.
type SnapshotLatest struct {
	engine
}

var _ Projection = (*SnapshotLatest)(nil)

// NewSnapshotLatest returns the projection over store, decoding events with
// reg. It refuses nil dependencies.
func NewSnapshotLatest(store Store, reg *events.Registry) (*SnapshotLatest, error) {
	p := &SnapshotLatest{}
	e, err := newEngine(SnapshotLatestName, store, reg, p)
	if err != nil {
		return nil, err
	}
	p.engine = e
	return p, nil
}

func (p *SnapshotLatest) handles(t string) bool { return t == events.TypeRiskSnapshotRecorded }

func (p *SnapshotLatest) worldSet(world string) string { return key(p.name, "world", esc(world)) }

func (p *SnapshotLatest) stageSet(world, stage string) string {
	return key(p.name, "stage", esc(world), esc(NormStage(stage)))
}

func (p *SnapshotLatest) actorSet(world, actor string) string {
	return key(p.name, "actor", esc(world), esc(NormActor(actor)))
}

func (p *SnapshotLatest) headKey(world string) string { return key(p.name, "head", esc(world)) }

func (p *SnapshotLatest) fold(ctx context.Context, t *tx, rec *events.Record, payload any) error {
	s, ok := payload.(*events.RiskSnapshotRecorded)
	if !ok {
		return fmt.Errorf("unexpected payload %T", payload)
	}
	e, err := entryOf(s)
	if err != nil {
		return err
	}
	m := e.member()
	t.add(p.worldSet(s.WorldID), m)
	t.add(p.stageSet(s.WorldID, e.Stage), m)
	t.add(p.actorSet(s.WorldID, e.Actor), m)
	head, _, err := get[SnapshotHead](ctx, t, p.headKey(s.WorldID))
	if err != nil {
		return err
	}
	if newerHead(head, s) {
		t.put(p.headKey(s.WorldID), headOf(s))
	}
	t.add(key(p.name, "worlds"), esc(s.WorldID))
	return nil
}

// Latest returns the index entry of the latest snapshot of world that is not
// expired at now and passes f (D12, the same order with filters), or an
// error wrapping [ErrNotFound]. With both a stage and an actor, a snapshot
// must match both.
func (p *SnapshotLatest) Latest(ctx context.Context, world string, now time.Time, f SnapshotFilter) (SnapshotEntry, error) {
	set := p.worldSet(world)
	switch {
	case NormStage(f.Stage) != "":
		set = p.stageSet(world, f.Stage)
	case NormActor(f.Actor) != "":
		set = p.actorSet(world, f.Actor)
	}
	live, err := liveEntries(ctx, p.store, set, now)
	if err != nil {
		return SnapshotEntry{}, fmt.Errorf("projection %s: %w", p.name, err)
	}
	live = slices.DeleteFunc(live, func(e SnapshotEntry) bool { return !f.matches(&e) })
	if len(live) == 0 {
		return SnapshotEntry{}, fmt.Errorf("no usable snapshot of world %s: %w", world, ErrNotFound)
	}
	return slices.MaxFunc(live, func(a, b SnapshotEntry) int { return CompareSnapshots(&a, &b) }), nil
}

// Head returns the newest snapshot world ever recorded, expired or not, or
// an error wrapping [ErrNotFound] for a world without snapshots.
func (p *SnapshotLatest) Head(ctx context.Context, world string) (SnapshotHead, error) {
	raw, err := p.store.Get(ctx, p.headKey(world))
	if err != nil {
		return SnapshotHead{}, fmt.Errorf("snapshot head of world %s: %w", world, err)
	}
	var h SnapshotHead
	if err := json.Unmarshal(raw, &h); err != nil {
		return SnapshotHead{}, fmt.Errorf("snapshot head of world %s: %w", world, err)
	}
	return h, nil
}

// Worlds returns every world that recorded a snapshot, in byte order of
// their escaped ids.
func (p *SnapshotLatest) Worlds(ctx context.Context) ([]string, error) {
	ms, err := p.store.Range(ctx, key(p.name, "worlds"), "", 0)
	if err != nil {
		return nil, fmt.Errorf("projection %s: %w", p.name, err)
	}
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		w, err := url.PathUnescape(m)
		if err != nil {
			return nil, fmt.Errorf("projection %s: world %q: %w", p.name, m, err)
		}
		out = append(out, w)
	}
	return out, nil
}
