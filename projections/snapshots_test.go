package projections_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// recordSnapshot appends a RiskSnapshotRecorded of world at created with
// the given as_of, ttl, stage and actor.
func (f *fixture) recordSnapshot(world, version string, asOf, created time.Time, ttl int64, stage, actor string) {
	f.t.Helper()
	stream, err := events.RiskSnapshotStream(world)
	if err != nil {
		f.t.Fatal(err)
	}
	prov, _ := json.Marshal(map[string]string{"actor": actor, "stage": stage})
	f.append(stream, "snap:"+world+":"+version, created, events.RiskSnapshotRecorded{
		WorldID: world, Version: version, AsOf: asOf.Format(time.RFC3339), AsOfInstant: asOf.Format(time.RFC3339Nano),
		Hash: "sha256:" + version, CreatedAt: created.Format(time.RFC3339Nano), TTLSec: ttl,
		ExpiresAt: created.Add(time.Duration(ttl) * time.Second).Format(time.RFC3339Nano),
		Weights:   map[string]float64{"s": 1}, Provenance: prov, Ingress: events.IngressHTTP,
	})
}

type snapshotModels struct {
	timeline *projections.SnapshotTimeline
	latest   *projections.SnapshotLatest
}

func (f *fixture) snapshotModels() snapshotModels {
	f.t.Helper()
	tl, err := projections.NewSnapshotTimeline(projections.NewMemoryStore(), f.reg)
	if err != nil {
		f.t.Fatal(err)
	}
	lt, err := projections.NewSnapshotLatest(projections.NewMemoryStore(), f.reg)
	if err != nil {
		f.t.Fatal(err)
	}
	recs := f.all()
	if err := tl.ApplyBatch(f.ctx, recs); err != nil {
		f.t.Fatal(err)
	}
	for _, r := range recs { // one at a time: the same result as a batch
		if err := lt.Apply(f.ctx, r); err != nil {
			f.t.Fatal(err)
		}
	}
	return snapshotModels{tl, lt}
}

func versions(ss []*events.RiskSnapshotRecorded) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.Version)
	}
	return out
}

func TestSnapshotLatestOrderAndExpiry(t *testing.T) {
	f := newFixture(t)
	h := time.Hour
	// as_of order differs from write order (D12: never "last written").
	f.recordSnapshot("w", "b", t0.Add(2*h), t0, 3600, "paper", "gateway")
	f.recordSnapshot("w", "a", t0.Add(1*h), t0.Add(time.Second), 7200, "live", "risk-engine")
	f.recordSnapshot("w", "c", t0.Add(2*h), t0.Add(2*time.Second), 60, "Paper", "gateway") // same as_of, later created_at
	f.recordSnapshot("other", "z", t0.Add(9*h), t0, 60, "paper", "gateway")
	m := f.snapshotModels()
	now := t0.Add(10 * time.Second)

	latest := func(now time.Time, flt projections.SnapshotFilter) string {
		t.Helper()
		e, err := m.latest.Latest(f.ctx, "w", now, flt)
		if errors.Is(err, projections.ErrNotFound) {
			return "none"
		}
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.timeline.Snapshot(f.ctx, "w", e.Version, now)
		if err != nil || s.Version != e.Version {
			t.Fatalf("timeline has no %s: %v", e.Version, err)
		}
		return e.Version
	}
	for _, tc := range []struct {
		now  time.Time
		flt  projections.SnapshotFilter
		want string
	}{
		{now, projections.SnapshotFilter{}, "c"},
		{now, projections.SnapshotFilter{Stage: " PAPER "}, "c"}, // case-insensitive, trimmed
		{now, projections.SnapshotFilter{Stage: "live"}, "a"},
		{now, projections.SnapshotFilter{Actor: "risk-engine"}, "a"},
		{now, projections.SnapshotFilter{Actor: "Gateway"}, "none"}, // actor is exact
		{now, projections.SnapshotFilter{Stage: "live", Actor: "gateway"}, "none"},
		{now, projections.SnapshotFilter{Stage: "paper", Actor: " gateway"}, "c"},
		{t0.Add(2*time.Second + 60*time.Second), projections.SnapshotFilter{}, "c"},                   // at expiry: still usable
		{t0.Add(2*time.Second + 60*time.Second + time.Nanosecond), projections.SnapshotFilter{}, "b"}, // strictly after: expired
		{t0.Add(3600*time.Second + time.Second), projections.SnapshotFilter{}, "a"},
		{t0.Add(3 * h), projections.SnapshotFilter{}, "none"},
	} {
		if got := latest(tc.now, tc.flt); got != tc.want {
			t.Errorf("latest at %s with %+v = %s, want %s", tc.now.Sub(t0), tc.flt, got, tc.want)
		}
	}
	head, err := m.latest.Head(f.ctx, "w")
	if err != nil || head.Version != "c" {
		t.Fatalf("head %+v, %v", head, err)
	}
	if _, err := m.latest.Head(f.ctx, "nobody"); !errors.Is(err, projections.ErrNotFound) {
		t.Fatalf("head of an unknown world: %v", err)
	}
	worlds, err := m.latest.Worlds(f.ctx)
	if err != nil || fmt.Sprint(worlds) != "[other w]" {
		t.Fatalf("worlds %v, %v", worlds, err)
	}
}

func TestSnapshotTimelineListAndLookups(t *testing.T) {
	f := newFixture(t)
	for i := range 15 {
		stage := "paper"
		if i%3 == 0 {
			stage = "live"
		}
		f.recordSnapshot("w/1", fmt.Sprintf("v%02d", i), t0.Add(time.Duration(i)*time.Minute), t0.Add(time.Duration(i)*time.Second), 3600, stage, "gateway")
	}
	f.recordSnapshot("w/1", "short", t0.Add(20*time.Minute), t0, 5, "paper", "gateway") // expires first
	m := f.snapshotModels()
	now := t0.Add(time.Minute)
	list := func(flt projections.SnapshotFilter, limit int) string {
		t.Helper()
		ss, err := m.timeline.List(f.ctx, "w/1", now, flt, limit)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(versions(ss))
	}
	// D18: filter first, then the newest limit, oldest first.
	if got := list(projections.SnapshotFilter{}, 0); got != "[v05 v06 v07 v08 v09 v10 v11 v12 v13 v14]" {
		t.Errorf("default list %s", got)
	}
	if got := list(projections.SnapshotFilter{Stage: "LIVE"}, 3); got != "[v06 v09 v12]" {
		t.Errorf("live list %s", got)
	}
	if got := list(projections.SnapshotFilter{}, 1000); got != "[v00 v01 v02 v03 v04 v05 v06 v07 v08 v09 v10 v11 v12 v13 v14]" {
		t.Errorf("capped list %s", got)
	}
	if _, err := m.timeline.List(f.ctx, "w/1", now, projections.SnapshotFilter{}, -1); !errors.Is(err, projections.ErrInvalidQuery) {
		t.Errorf("negative limit: %v", err)
	}
	if got := list(projections.SnapshotFilter{Actor: "nobody"}, 5); got != "[]" {
		t.Errorf("no match %s", got)
	}
	// The expired snapshot is out of every read but still stored.
	if _, err := m.timeline.Snapshot(f.ctx, "w/1", "short", now); !errors.Is(err, projections.ErrNotFound) {
		t.Errorf("expired snapshot served: %v", err)
	}
	if s, err := m.timeline.Stored(f.ctx, "w/1", "short"); err != nil || s.Version != "short" {
		t.Errorf("stored %v, %v", s, err)
	}
	// as_of look-up: greatest as_of at or before the instant.
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{t0.Add(7*time.Minute + 30*time.Second), "v07"},
		{t0.Add(7 * time.Minute), "v07"},
		{t0.Add(time.Hour), "v14"}, // "short" (as_of +20m) is expired
		{t0.Add(-time.Second), "none"},
	} {
		s, err := m.timeline.AsOf(f.ctx, "w/1", tc.at, now)
		got := "none"
		if err == nil {
			got = s.Version
		} else if !errors.Is(err, projections.ErrNotFound) {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("as_of %s: %s, want %s", tc.at.Sub(t0), got, tc.want)
		}
	}
}

func TestSnapshotProjectionsRebuildIdentically(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.recordSnapshot("w", fmt.Sprintf("v%d", i), t0.Add(time.Duration(5-i)*time.Minute), t0.Add(time.Duration(i)*time.Second), 60, "paper", "gateway")
	}
	a, b := projections.NewMemoryStore(), projections.NewMemoryStore()
	for _, store := range []*projections.MemoryStore{a, b} {
		tl, _ := projections.NewSnapshotTimeline(store, f.reg)
		lt, _ := projections.NewSnapshotLatest(store, f.reg)
		recs := f.all()
		if store == a {
			if err := tl.ApplyBatch(f.ctx, recs); err != nil {
				t.Fatal(err)
			}
			if err := lt.ApplyBatch(f.ctx, recs); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for _, r := range append(recs, recs...) { // re-delivery is skipped by position
			if err := tl.Apply(f.ctx, r); err != nil {
				t.Fatal(err)
			}
			if err := lt.Apply(f.ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	da, db := projections.Dump(a), projections.Dump(b)
	if fmt.Sprint(da) != fmt.Sprint(db) {
		t.Fatalf("batch and one-by-one folds differ:\n%v\n%v", da, db)
	}
}
