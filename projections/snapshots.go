package projections

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/worldval/worldval/events"
)

// This file holds what the two risk-snapshot projections share
// ([SnapshotTimeline], [SnapshotLatest]): the index entry of a snapshot and
// its encoding as a sorted-set member. Every index is keyed by expiry first,
// so the snapshots still usable at an instant are one Range from that
// instant: reads never walk expired history, which grows by one snapshot per
// producer tick for ever (spec §8.2).

// instantLayout writes instants with a fixed width (years 0000..9999), so
// that byte order is time order.
const instantLayout = "2006-01-02T15:04:05.000000000Z"

// fixedInstant renders t in [instantLayout].
func fixedInstant(t time.Time) string { return t.UTC().Format(instantLayout) }

// SnapshotEntry is what the snapshot indexes know of one recorded snapshot:
// enough to order, filter and expire it without reading the snapshot.
type SnapshotEntry struct {
	// Version is the snapshot's version.
	Version string
	// AsOf is the parsed as_of instant; CreatedAt is when the hub recorded
	// it; ExpiresAt is when it stops being usable (strictly after).
	AsOf, CreatedAt, ExpiresAt time.Time
	// Stage is provenance.stage lower-cased and trimmed; Actor is
	// provenance.actor trimmed (the read filters' normal forms, spec §2.6).
	Stage, Actor string
}

// entryOf returns the index entry of a recorded snapshot.
func entryOf(p *events.RiskSnapshotRecorded) (SnapshotEntry, error) {
	var e SnapshotEntry
	var err error
	if e.AsOf, err = time.Parse(time.RFC3339Nano, p.AsOfInstant); err != nil {
		return e, fmt.Errorf("snapshot %s: as_of_instant: %w", p.Version, err)
	}
	if e.CreatedAt, err = time.Parse(time.RFC3339Nano, p.CreatedAt); err != nil {
		return e, fmt.Errorf("snapshot %s: created_at: %w", p.Version, err)
	}
	if e.ExpiresAt, err = time.Parse(time.RFC3339Nano, p.ExpiresAt); err != nil {
		return e, fmt.Errorf("snapshot %s: expires_at: %w", p.Version, err)
	}
	e.Version = p.Version
	e.Stage = NormStage(p.Stage())
	e.Actor = NormActor(p.Actor())
	return e, nil
}

// NormStage is the form in which stages are compared by the read filters:
// trimmed and lower-cased.
func NormStage(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NormActor is the form in which actors are compared by the read filters:
// trimmed, case kept.
func NormActor(s string) string { return strings.TrimSpace(s) }

// Expired reports whether the snapshot is expired at now (strictly after its
// expiry, spec §2.5).
func (e *SnapshotEntry) Expired(now time.Time) bool { return now.After(e.ExpiresAt) }

// CompareSnapshots orders entries by (as_of instant, created_at, version
// bytes), the order of "latest" in decision D12.
func CompareSnapshots(a, b *SnapshotEntry) int {
	if c := a.AsOf.Compare(b.AsOf); c != 0 {
		return c
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.Version, b.Version)
}

// member encodes e as "<expires> <as_of> <created> <version> <stage>
// <actor>", the last three percent-encoded, so that a set ordered by bytes
// is ordered by expiry.
func (e *SnapshotEntry) member() string {
	return strings.Join([]string{
		fixedInstant(e.ExpiresAt), fixedInstant(e.AsOf), fixedInstant(e.CreatedAt),
		url.PathEscape(e.Version), url.PathEscape(e.Stage), url.PathEscape(e.Actor),
	}, " ")
}

// parseMember inverts member.
func parseMember(m string) (SnapshotEntry, error) {
	f := strings.Split(m, " ")
	if len(f) != 6 {
		return SnapshotEntry{}, fmt.Errorf("malformed snapshot index member %q", m)
	}
	var e SnapshotEntry
	var err error
	for i, t := range [...]*time.Time{&e.ExpiresAt, &e.AsOf, &e.CreatedAt} {
		if *t, err = time.Parse(instantLayout, f[i]); err != nil {
			return SnapshotEntry{}, fmt.Errorf("malformed snapshot index member %q: %w", m, err)
		}
	}
	for i, s := range [...]*string{&e.Version, &e.Stage, &e.Actor} {
		if *s, err = url.PathUnescape(f[3+i]); err != nil {
			return SnapshotEntry{}, fmt.Errorf("malformed snapshot index member %q: %w", m, err)
		}
	}
	return e, nil
}

// liveEntries returns the entries of set that are not expired at now, in no
// particular order: one Range from now, since members sort by expiry.
func liveEntries(ctx context.Context, store Store, set string, now time.Time) ([]SnapshotEntry, error) {
	ms, err := store.Range(ctx, set, fixedInstant(now), 0)
	if err != nil {
		return nil, err
	}
	out := make([]SnapshotEntry, 0, len(ms))
	for _, m := range ms {
		e, err := parseMember(m)
		if err != nil {
			return nil, err
		}
		if !e.Expired(now) {
			out = append(out, e)
		}
	}
	return out, nil
}

// SnapshotFilter selects snapshots by provenance; an empty field matches
// every snapshot. Stage matches case-insensitively, actor exactly, both
// after trimming (spec §2.6).
type SnapshotFilter struct {
	Stage, Actor string
}

// matches reports whether e passes f.
func (f SnapshotFilter) matches(e *SnapshotEntry) bool {
	return (NormStage(f.Stage) == "" || e.Stage == NormStage(f.Stage)) &&
		(NormActor(f.Actor) == "" || e.Actor == NormActor(f.Actor))
}

// SnapshotHead is the newest snapshot a world ever recorded, expired or
// not: what the freshness probe measures the world's lag from (D19).
type SnapshotHead struct {
	WorldID     string `json:"world_id"`
	Version     string `json:"version"`
	AsOf        string `json:"as_of"`
	AsOfInstant string `json:"as_of_instant"`
	CreatedAt   string `json:"created_at"`
	// Stage is the head's provenance.stage as recorded.
	Stage string `json:"stage"`
}

// headOf returns the head entry of p.
func headOf(p *events.RiskSnapshotRecorded) *SnapshotHead {
	return &SnapshotHead{WorldID: p.WorldID, Version: p.Version, AsOf: p.AsOf, AsOfInstant: p.AsOfInstant, CreatedAt: p.CreatedAt, Stage: p.Stage()}
}

// newerHead reports whether h should replace cur as the head: D12's order.
func newerHead(cur *SnapshotHead, p *events.RiskSnapshotRecorded) bool {
	if cur == nil {
		return true
	}
	a, errA := entryOfHead(cur)
	b, errB := entryOf(p)
	if errA != nil || errB != nil {
		return errA != nil
	}
	return CompareSnapshots(&b, &a) > 0
}

// entryOfHead parses the ordering fields of a head.
func entryOfHead(h *SnapshotHead) (SnapshotEntry, error) {
	var e SnapshotEntry
	var err error
	if e.AsOf, err = time.Parse(time.RFC3339Nano, h.AsOfInstant); err != nil {
		return e, err
	}
	if e.CreatedAt, err = time.Parse(time.RFC3339Nano, h.CreatedAt); err != nil {
		return e, err
	}
	e.Version = h.Version
	return e, nil
}
