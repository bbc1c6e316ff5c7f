package handlers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// SnapshotSource finds the risk snapshot an extended pass or a live tick
// uses. Implementations must be safe for concurrent use.
type SnapshotSource interface {
	// Latest returns the latest usable snapshot of world at now — the
	// non-expired one with the greatest (as_of instant, created_at,
	// version) (D12) — among those whose provenance stage is stage
	// (compared case-insensitively; "" = any stage), or nil when there is
	// none.
	Latest(ctx context.Context, world, stage string, now time.Time) (*events.RiskSnapshotRecorded, error)
}

// bookDepth is how many snapshots a [SnapshotBook] keeps per world and per
// (world, stage): the newest by D12 order. The latest usable snapshot is the
// newest that has not expired, so a few suffice unless producers publish
// many short-lived snapshots ahead of a long-lived one.
const bookDepth = 8

// SnapshotBook is a [SnapshotSource] kept by a worker from the events its
// subscription delivers: each RiskSnapshotRecorded the worker handles is
// passed to [SnapshotBook.Observe]. The first observation reads every
// earlier snapshot from the store, so a worker restarted from a checkpoint
// knows what was recorded before it, and the book's view is always the
// store as of the event being handled. It keeps the newest few snapshots of
// each world (see bookDepth). It is safe for concurrent use.
type SnapshotBook struct {
	store eventstore.Store
	reg   *events.Registry

	mu     sync.Mutex
	upTo   uint64 // every snapshot at or before this position is known
	worlds map[string]*worldBook
}

// worldBook holds a world's newest snapshots, overall and per stage.
type worldBook struct {
	all     []*bookEntry
	byStage map[string][]*bookEntry
}

// bookEntry is one snapshot with its parsed ordering keys.
type bookEntry struct {
	p       *events.RiskSnapshotRecorded
	asOf    time.Time
	created time.Time
	expires time.Time
}

// NewSnapshotBook returns an empty book that reads earlier snapshots from
// store, decoding with reg.
func NewSnapshotBook(store eventstore.Store, reg *events.Registry) (*SnapshotBook, error) {
	if store == nil || reg == nil {
		return nil, fmt.Errorf("snapshot book: nil store or registry")
	}
	return &SnapshotBook{store: store, reg: reg, worlds: map[string]*worldBook{}}, nil
}

// Observe brings the book up to rec: it reads the snapshots recorded
// between what the book knows and rec (the first call reads from the start
// of the store), then adds rec when it is a RiskSnapshotRecorded. Records
// at or before what the book knows are ignored, so a re-delivery is
// harmless.
func (b *SnapshotBook) Observe(ctx context.Context, rec events.Record) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if rec.GlobalPosition <= b.upTo {
		return nil
	}
	if err := b.readUpTo(ctx, rec.GlobalPosition-1); err != nil {
		return err
	}
	if rec.Type == events.TypeRiskSnapshotRecorded {
		if err := b.add(&rec); err != nil {
			return err
		}
	}
	b.upTo = rec.GlobalPosition
	return nil
}

// CatchUp reads every snapshot recorded up to the store's head now, for
// callers that use the book outside a subscription (the live scheduler).
func (b *SnapshotBook) CatchUp(ctx context.Context) error {
	head, err := b.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("snapshot book: head: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.readUpTo(ctx, head)
}

// readUpTo reads the snapshots after b.upTo up to pos. b.mu is held.
func (b *SnapshotBook) readUpTo(ctx context.Context, pos uint64) error {
	const page = 1000
	for b.upTo < pos {
		recs, err := b.store.ReadAll(ctx, b.upTo, page)
		if err != nil {
			return fmt.Errorf("snapshot book: read after %d: %w", b.upTo, err)
		}
		if len(recs) == 0 {
			break
		}
		for i := range recs {
			if recs[i].GlobalPosition > pos {
				return nil
			}
			if recs[i].Type == events.TypeRiskSnapshotRecorded {
				if err := b.add(&recs[i]); err != nil {
					return err
				}
			}
			b.upTo = recs[i].GlobalPosition
		}
	}
	return nil
}

// add decodes a snapshot and files it. b.mu is held.
func (b *SnapshotBook) add(rec *events.Record) error {
	p, err := events.DecodeAs[events.RiskSnapshotRecorded](b.reg, &rec.Event)
	if err != nil {
		return fmt.Errorf("snapshot book: %w", err)
	}
	e := &bookEntry{p: p}
	e.asOf, _ = events.ParseTime(p.AsOfInstant)
	e.created, _ = parseInstant(p.CreatedAt)
	e.expires, _ = parseInstant(p.ExpiresAt)
	w := b.worlds[p.WorldID]
	if w == nil {
		w = &worldBook{byStage: map[string][]*bookEntry{}}
		b.worlds[p.WorldID] = w
	}
	w.all = insertEntry(w.all, e)
	stage := normStage(p.Stage())
	w.byStage[stage] = insertEntry(w.byStage[stage], e)
	return nil
}

// insertEntry files e into list (newest first by D12), dropping a second
// copy of the same version and keeping at most bookDepth entries.
func insertEntry(list []*bookEntry, e *bookEntry) []*bookEntry {
	for _, x := range list {
		if x.p.Version == e.p.Version {
			return list
		}
	}
	list = append(list, e)
	sort.SliceStable(list, func(i, j int) bool { return newer(list[i], list[j]) })
	if len(list) > bookDepth {
		list = list[:bookDepth]
	}
	return list
}

// newer orders snapshots by D12: as_of instant, then created_at, then
// version bytes, greatest first.
func newer(a, b *bookEntry) bool {
	if !a.asOf.Equal(b.asOf) {
		return a.asOf.After(b.asOf)
	}
	if !a.created.Equal(b.created) {
		return a.created.After(b.created)
	}
	return a.p.Version > b.p.Version
}

// Latest implements [SnapshotSource]. A snapshot is expired strictly after
// its expires_at (spec §2.5).
func (b *SnapshotBook) Latest(_ context.Context, world, stage string, now time.Time) (*events.RiskSnapshotRecorded, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.worlds[world]
	if w == nil {
		return nil, nil
	}
	list := w.all
	if stage != "" {
		list = w.byStage[normStage(stage)]
	}
	for _, e := range list {
		if e.expires.IsZero() || !now.After(e.expires) {
			return e.p, nil
		}
	}
	return nil, nil
}

// Worlds returns the worlds the book has seen a snapshot of, sorted.
func (b *SnapshotBook) Worlds() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.worlds))
	for w := range b.worlds {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// parseInstant parses an RFC 3339 timestamp (created_at, expires_at).
func parseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q: %w", s, err)
	}
	return t, nil
}

// normStage is a stage as filters compare it: trimmed and lower-cased.
func normStage(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
