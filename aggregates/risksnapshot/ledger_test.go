package risksnapshot_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/risksnapshot"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore/sqlite"
)

func parse(t *testing.T, b string) *risksnapshot.Snapshot {
	t.Helper()
	s, err := contract().Parse(httpIn(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func record(ctx context.Context, t *testing.T, cache *aggregates.Cache[risksnapshot.Ledger, *risksnapshot.Ledger], reg *events.Registry, s *risksnapshot.Snapshot) (bool, error) {
	t.Helper()
	stream, _ := events.RiskSnapshotStream(s.WorldID)
	cmd := risksnapshot.Record{
		Meta:    events.Meta{OccurredAt: time.Unix(1735689600, 0), Actor: "gateway"},
		Payload: s.Recorded(time.Unix(1735689605, 0), events.IngressHTTP, ""),
	}
	res, err := cache.Update(ctx, stream, func(l *risksnapshot.Ledger) ([]events.Event, error) { return l.Record(reg, cmd) })
	return res.Duplicate, err
}

func TestLedgerNewReplayConflictAcrossRestart(t *testing.T) {
	ctx := context.Background()
	reg := events.Catalogue()
	path := filepath.Join(t.TempDir(), "events.db")
	open := func() (*sqlite.Store, *aggregates.Cache[risksnapshot.Ledger, *risksnapshot.Ledger]) {
		store, err := sqlite.Open(ctx, path, sqlite.WithRegistry(reg))
		if err != nil {
			t.Fatal(err)
		}
		repo, err := aggregates.NewRepository(store, reg)
		if err != nil {
			t.Fatal(err)
		}
		cache, err := aggregates.NewCache[risksnapshot.Ledger](repo)
		if err != nil {
			t.Fatal(err)
		}
		return store, cache
	}
	store, cache := open()
	v1 := parse(t, body(""))
	if dup, err := record(ctx, t, cache, reg, v1); err != nil || dup {
		t.Fatalf("first record: dup %v, %v", dup, err)
	}
	if dup, err := record(ctx, t, cache, reg, v1); err != nil || !dup {
		t.Fatalf("re-send: dup %v, %v", dup, err)
	}
	other := parse(t, body(`"ttl_sec":60`)) // same version, another hash
	_, err := record(ctx, t, cache, reg, other)
	expectErr(t, err, errcode.SnapshotVersionConflict, "snapshot version collision for world_id=w version=v1")
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	store, cache = open() // a restarted process: empty cache, same store
	defer store.Close()
	if dup, err := record(ctx, t, cache, reg, v1); err != nil || !dup {
		t.Fatalf("re-send after restart: dup %v, %v", dup, err)
	}
	_, err = record(ctx, t, cache, reg, other)
	expectErr(t, err, errcode.SnapshotVersionConflict, "snapshot version collision for world_id=w version=v1")
	v2 := parse(t, without("version", `"version":"v2"`))
	if dup, err := record(ctx, t, cache, reg, v2); err != nil || dup {
		t.Fatalf("v2: dup %v, %v", dup, err)
	}
	if head, _ := store.Head(ctx); head != 2 {
		t.Fatalf("%d events stored, want 2", head)
	}
	stream, _ := events.RiskSnapshotStream("w")
	if _, err := cache.View(ctx, stream, func(l *risksnapshot.Ledger) {
		e, ok := l.Lookup("v1")
		if l.Len() != 2 || !ok || e.Hash != v1.Hash || e.StreamVersion != 1 {
			t.Errorf("ledger: %d versions, v1 %+v %v", l.Len(), e, ok)
		}
	}); err != nil {
		t.Fatal(err)
	}
	// The stored event carries the hash, and FromRecorded gives it back.
	recs, err := store.ReadStream(ctx, stream, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := events.DecodeAs[events.RiskSnapshotRecorded](reg, &recs[0].Event)
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].IdempotencyKey != events.RiskSnapshotKey("w", "v1", v1.Hash) || p.CreatedAt != "2025-01-01T00:00:05Z" || p.ExpiresAt != "2025-01-01T00:15:05Z" {
		t.Fatalf("stored %+v (key %s)", p, recs[0].IdempotencyKey)
	}
	back, err := risksnapshot.FromRecorded(p, risksnapshot.Resolved{})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := back.ComputeHash(); err != nil || h != v1.Hash {
		t.Fatalf("recomputed %s, %v; recorded %s", h, err, v1.Hash)
	}
}

func TestLedgerApplyRefusesADuplicateVersion(t *testing.T) {
	var l risksnapshot.Ledger
	p := &events.RiskSnapshotRecorded{WorldID: "w", Version: "v1", Hash: "sha256:a"}
	rec := &events.Record{Event: events.Event{Type: events.TypeRiskSnapshotRecorded}, StreamVersion: 1}
	if err := l.Apply(rec, p); err != nil {
		t.Fatal(err)
	}
	if err := l.Apply(rec, p); err == nil {
		t.Fatal("a version recorded twice folded")
	}
	if err := l.Apply(rec, &events.PolicyPublished{}); err == nil {
		t.Fatal("a foreign event folded")
	}
}

func TestExpiry(t *testing.T) {
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := risksnapshot.ExpiresAt(created, 900)
	if risksnapshot.Expired(exp, exp) {
		t.Fatal("expired at the instant of expiry; expiry is strict")
	}
	if !risksnapshot.Expired(exp, exp.Add(time.Nanosecond)) {
		t.Fatal("not expired just after")
	}
	p := &events.RiskSnapshotRecorded{ExpiresAt: risksnapshot.FormatInstant(exp)}
	if risksnapshot.ExpiredAt(p, exp) || !risksnapshot.ExpiredAt(p, exp.Add(time.Second)) {
		t.Fatal("ExpiredAt")
	}
	if !risksnapshot.ExpiredAt(&events.RiskSnapshotRecorded{ExpiresAt: "garbage"}, created) {
		t.Fatal("an unreadable expiry counts as fresh")
	}
}
