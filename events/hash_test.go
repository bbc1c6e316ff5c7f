package events_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
)

// sealedChain returns n sealed records of stream s, versions 1..n, with
// global positions starting at firstPos.
func sealedChain(s string, n int, firstPos uint64) []events.Record {
	base := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	out := make([]events.Record, n)
	prev := events.GenesisHash
	for i := range out {
		r := events.Record{
			Event: events.Event{
				ID:             events.IDFromKeyN("chain:"+s, i),
				Type:           "T",
				SchemaVersion:  1,
				OccurredAt:     base.Add(time.Duration(i) * time.Second),
				Actor:          "alice",
				CorrelationID:  "corr",
				CausationID:    "cause",
				IdempotencyKey: "chain:" + s,
				Payload:        json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)),
			},
			Stream:         s,
			StreamVersion:  uint64(i + 1),
			GlobalPosition: firstPos + uint64(i),
			RecordedAt:     base.Add(time.Duration(i)*time.Second + time.Millisecond),
		}
		r.Seal(prev)
		prev = r.Hash
		out[i] = r
	}
	return out
}

func verifyAll(recs []events.Record) error {
	v := events.NewChainVerifier()
	for i := range recs {
		if err := v.Verify(&recs[i]); err != nil {
			return err
		}
	}
	return nil
}

func TestChainVerifierAcceptsSealedChains(t *testing.T) {
	a := sealedChain("a", 5, 1)
	b := sealedChain("b", 3, 6)
	// Interleave the two streams as a global read would.
	all := []events.Record{a[0], b[0], a[1], a[2], b[1], a[3], b[2], a[4]}
	v := events.NewChainVerifier()
	for i := range all {
		if err := v.Verify(&all[i]); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	if v.Streams() != 2 {
		t.Fatalf("Streams() = %d, want 2", v.Streams())
	}
	if a[0].PrevHash != events.GenesisHash || len(a[0].Hash) != 64 {
		t.Fatalf("first record: prev %q hash %q", a[0].PrevHash, a[0].Hash)
	}
}

func TestChainVerifierDetectsEverySingleFieldChange(t *testing.T) {
	tamper := []struct {
		field string
		edit  func(r *events.Record)
	}{
		{"payload byte", func(r *events.Record) { r.Payload = json.RawMessage(strings.Replace(string(r.Payload), "2", "7", 1)) }},
		{"payload whitespace", func(r *events.Record) { r.Payload = append(json.RawMessage(" "), r.Payload...) }},
		{"event id", func(r *events.Record) { r.ID = events.IDFromKey("other") }},
		{"stream", func(r *events.Record) { r.Stream = "b" }},
		{"stream version", func(r *events.Record) { r.StreamVersion++ }},
		{"type", func(r *events.Record) { r.Type = "U" }},
		{"schema version", func(r *events.Record) { r.SchemaVersion = 2 }},
		{"occurred at", func(r *events.Record) { r.OccurredAt = r.OccurredAt.Add(time.Nanosecond) }},
		{"recorded at", func(r *events.Record) { r.RecordedAt = r.RecordedAt.Add(-time.Nanosecond) }},
		{"actor", func(r *events.Record) { r.Actor = "mallory" }},
		{"correlation id", func(r *events.Record) { r.CorrelationID = "" }},
		{"causation id", func(r *events.Record) { r.CausationID = "x" }},
		{"idempotency key", func(r *events.Record) { r.IdempotencyKey += "!" }},
		{"prev hash", func(r *events.Record) { r.PrevHash = flipHex(r.PrevHash) }},
		{"hash", func(r *events.Record) { r.Hash = flipHex(r.Hash) }},
		{"field boundary", func(r *events.Record) { r.Actor, r.CorrelationID = "alicec", "orr" }},
	}
	for _, tc := range tamper {
		t.Run(tc.field, func(t *testing.T) {
			recs := sealedChain("s", 4, 1)
			const victim = 2
			tc.edit(&recs[victim])
			err := verifyAll(recs)
			if !errors.Is(err, events.ErrChainBroken) {
				t.Fatalf("tampered %s not detected: %v", tc.field, err)
			}
			if !strings.Contains(err.Error(), recs[victim].ID) {
				t.Fatalf("error %q does not name event %s", err, recs[victim].ID)
			}
		})
	}
}

func TestChainVerifierDetectsResealedHistory(t *testing.T) {
	// Rewriting an event and re-sealing only that event breaks the link of
	// its successor, which the verifier names.
	recs := sealedChain("s", 4, 1)
	recs[1].Actor = "mallory"
	recs[1].Seal(recs[0].Hash)
	err := verifyAll(recs)
	if !errors.Is(err, events.ErrChainBroken) || !strings.Contains(err.Error(), recs[2].ID) {
		t.Fatalf("verify = %v; want a broken link naming %s", err, recs[2].ID)
	}
}

func TestChainVerifierDetectsGapsAndReordering(t *testing.T) {
	recs := sealedChain("s", 4, 1)
	if err := verifyAll([]events.Record{recs[0], recs[2], recs[3]}); !errors.Is(err, events.ErrChainBroken) || !strings.Contains(err.Error(), recs[2].ID) {
		t.Fatalf("gap: %v", err)
	}
	if err := verifyAll([]events.Record{recs[1], recs[0]}); !errors.Is(err, events.ErrChainBroken) {
		t.Fatalf("stream not starting at version 1: %v", err)
	}
}

func TestHashIgnoresGlobalPosition(t *testing.T) {
	recs := sealedChain("s", 2, 1)
	moved := recs[1]
	moved.GlobalPosition = 99
	if moved.ComputeHash() != recs[1].Hash {
		t.Fatal("the hash depends on the global position")
	}
}

func TestFormatAndParseTime(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 60, time.FixedZone("X", -7200))
	s := events.FormatTime(at)
	if s != "2026-01-02T05:04:05.000000060Z" {
		t.Fatalf("FormatTime = %q", s)
	}
	back, err := events.ParseTime(s)
	if err != nil || !back.Equal(at) || back.Location() != time.UTC {
		t.Fatalf("ParseTime(%q) = %v, %v", s, back, err)
	}
	if events.FormatTime(time.Time{}) != "" {
		t.Fatal("zero time must format as the empty string")
	}
	if z, err := events.ParseTime(""); err != nil || !z.IsZero() {
		t.Fatalf("ParseTime(\"\") = %v, %v", z, err)
	}
	if _, err := events.ParseTime("yesterday"); err == nil {
		t.Fatal("ParseTime accepted garbage")
	}
}

func flipHex(h string) string {
	b := []byte(h)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}
