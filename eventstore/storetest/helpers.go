package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// Event types of the suite's own registry.
const (
	typeNoted   = "StoretestNoted"
	typeCrashed = "StoretestCrashAppend"
)

// noted is the payload of most of the suite's events.
type noted struct {
	N    int    `json:"n"`
	Note string `json:"note,omitempty"`
}

// crashAppend is the payload of the crash test's events: each names the
// append it belongs to, so the parent can check appends are all-or-nothing.
type crashAppend struct {
	Round  int    `json:"round"`
	Worker int    `json:"worker"`
	Seq    int    `json:"seq"`
	K      int    `json:"k"`
	N      int    `json:"n"`
	Pad    string `json:"pad"`
}

// registry returns the suite's registry.
func registry() *events.Registry {
	return events.MustRegistry(
		events.TypeSpec{Name: typeNoted, Payload: noted{}},
		events.TypeSpec{Name: typeCrashed, Payload: crashAppend{}},
	)
}

// waitTimeout bounds every wait for something another goroutine or process
// should do.
const waitTimeout = 30 * time.Second

// testContext is the context of a store call: it ends with the test.
func testContext(t testing.TB) context.Context { return t.Context() }

// openAt opens the store at loc and closes it when the test ends.
func openAt(t testing.TB, h Harness, loc string, cfg Config) eventstore.Store {
	t.Helper()
	s, err := h.Open(testContext(t), loc, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", loc, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close %s: %v", loc, err)
		}
	})
	return s
}

// newStore opens a store at a fresh location.
func newStore(t testing.TB, h Harness, cfg Config) (eventstore.Store, string) {
	t.Helper()
	loc := h.NewLocation(t)
	return openAt(t, h, loc, cfg), loc
}

// event returns a valid StoretestNoted event whose id derives from key.
func event(key string, n int) events.Event {
	return events.Event{
		ID:             events.IDFromKey(key),
		Type:           typeNoted,
		SchemaVersion:  1,
		OccurredAt:     time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC),
		Actor:          "storetest",
		CorrelationID:  "corr-" + key,
		CausationID:    "cause-" + key,
		IdempotencyKey: key,
		Payload:        fmt.Appendf(nil, `{"n":%d,"note":"%s"}`, n, key),
	}
}

// eventsN returns n events with keys prefix/0 … prefix/n-1.
func eventsN(prefix string, n int) []events.Event {
	out := make([]events.Event, n)
	for i := range out {
		out[i] = event(fmt.Sprintf("%s/%d", prefix, i), i)
	}
	return out
}

func mustAppend(t testing.TB, s eventstore.Store, stream string, exp eventstore.ExpectedVersion, evs ...events.Event) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(testContext(t), stream, exp, evs...)
	if err != nil {
		t.Fatalf("append %d events to %s expecting %s: %v", len(evs), stream, exp, err)
	}
	return res
}

func readAll(t testing.TB, s eventstore.Store) []events.Record {
	t.Helper()
	recs, err := s.ReadAll(testContext(t), 0, 0)
	if err != nil {
		t.Fatalf("read all: %v", err)
	}
	return recs
}

func head(t testing.TB, s eventstore.Store) uint64 {
	t.Helper()
	p, err := s.Head(testContext(t))
	if err != nil {
		t.Fatalf("head: %v", err)
	}
	return p
}

// verifyChains reads the whole store and checks that global positions grow
// strictly, that every record's hash chain verifies, that Head is the last
// position, and that each stream read on its own equals its events in the
// global read. It returns the records.
func verifyChains(t testing.TB, s eventstore.Store) []events.Record {
	t.Helper()
	recs := readAll(t, s)
	v := events.NewChainVerifier()
	perStream := map[string][]events.Record{}
	var last uint64
	for i := range recs {
		r := &recs[i]
		if r.GlobalPosition <= last {
			t.Fatalf("global position %d after %d", r.GlobalPosition, last)
		}
		last = r.GlobalPosition
		if err := v.Verify(r); err != nil {
			t.Fatalf("chain: %v", err)
		}
		perStream[r.Stream] = append(perStream[r.Stream], *r)
	}
	if h := head(t, s); h != last {
		t.Fatalf("Head = %d, last read position %d", h, last)
	}
	for stream, want := range perStream {
		got, err := s.ReadStream(testContext(t), stream, 0, 0)
		if err != nil {
			t.Fatalf("read stream %s: %v", stream, err)
		}
		if len(got) != len(want) {
			t.Fatalf("stream %s: ReadStream has %d events, ReadAll %d", stream, len(got), len(want))
		}
		for i := range got {
			if err := sameRecord(&got[i], &want[i]); err != nil {
				t.Fatalf("stream %s event %d: ReadStream and ReadAll differ: %v", stream, i, err)
			}
		}
	}
	return recs
}

// sameRecord reports how two records differ, or nil.
func sameRecord(a, b *events.Record) error {
	switch {
	case a.ID != b.ID, a.Stream != b.Stream, a.StreamVersion != b.StreamVersion, a.GlobalPosition != b.GlobalPosition:
		return fmt.Errorf("identity %s %s@%d #%d vs %s %s@%d #%d", a.ID, a.Stream, a.StreamVersion, a.GlobalPosition,
			b.ID, b.Stream, b.StreamVersion, b.GlobalPosition)
	case a.Hash != b.Hash, a.PrevHash != b.PrevHash:
		return fmt.Errorf("hashes differ")
	case !a.RecordedAt.Equal(b.RecordedAt):
		return fmt.Errorf("recorded_at %v vs %v", a.RecordedAt, b.RecordedAt)
	}
	return sameEvent(&a.Event, &b.Event)
}

// sameEvent reports how a stored event differs from the event appended, or
// nil. Times compare as instants; the payload byte for byte.
func sameEvent(got, want *events.Event) error {
	switch {
	case got.ID != want.ID:
		return fmt.Errorf("id %s, want %s", got.ID, want.ID)
	case got.Type != want.Type, got.SchemaVersion != want.SchemaVersion:
		return fmt.Errorf("type %s v%d, want %s v%d", got.Type, got.SchemaVersion, want.Type, want.SchemaVersion)
	case !got.OccurredAt.Equal(want.OccurredAt):
		return fmt.Errorf("occurred_at %v, want %v", got.OccurredAt, want.OccurredAt)
	case got.Actor != want.Actor, got.CorrelationID != want.CorrelationID, got.CausationID != want.CausationID,
		got.IdempotencyKey != want.IdempotencyKey:
		return fmt.Errorf("metadata %q/%q/%q/%q, want %q/%q/%q/%q", got.Actor, got.CorrelationID, got.CausationID,
			got.IdempotencyKey, want.Actor, want.CorrelationID, want.CausationID, want.IdempotencyKey)
	case !bytes.Equal(got.Payload, want.Payload):
		return fmt.Errorf("payload differs (%d bytes, want %d)", len(got.Payload), len(want.Payload))
	}
	return nil
}

// wantErr fails the test unless err wraps target.
func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one wrapping %q", what, err, target)
	}
}

// wantStreamVersion fails the test unless stream holds exactly version events
// (0: the stream does not exist).
func wantStreamVersion(t testing.TB, s eventstore.Store, stream string, version uint64) {
	t.Helper()
	recs, err := s.ReadStream(testContext(t), stream, 0, 0)
	if version == 0 {
		wantErr(t, "read of stream "+stream+" that should not exist", err, eventstore.ErrStreamNotFound)
		return
	}
	if err != nil {
		t.Fatalf("read stream %s: %v", stream, err)
	}
	if n := uint64(len(recs)); n != version || recs[n-1].StreamVersion != version {
		t.Fatalf("stream %s has %d events, want %d", stream, n, version)
	}
}
