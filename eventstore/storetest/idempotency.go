package storetest

import (
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// testIdempotency re-appends stored events: all of them (or any subset) again
// is a successful no-op whatever the expectation; a mix of stored and new ids,
// ids stored in another stream, or an id repeated in one call is
// ErrDuplicateEventID and stores nothing.
func testIdempotency(t *testing.T, h Harness) {
	s, _ := newStore(t, h, Config{})
	const stream, other = "idem/a", "idem/b"
	a, b, c := event("idem/1", 1), event("idem/2", 2), event("idem/3", 3)
	first := mustAppend(t, s, stream, eventstore.NoStream{}, a, b)
	recs, err := s.ReadStream(testContext(t), stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	posA, posB := recs[0].GlobalPosition, recs[1].GlobalPosition
	if first.Position != posB {
		t.Fatalf("first append: position %d, last event stored at %d", first.Position, posB)
	}
	headBefore := head(t, s)

	retries := []struct {
		name     string
		expected eventstore.ExpectedVersion
		evs      []events.Event
		pos      uint64
	}{
		{"same events, same expectation", eventstore.NoStream{}, []events.Event{a, b}, posB},
		{"same events, now-true expectation", eventstore.Exact(2), []events.Event{a, b}, posB},
		{"same events, any", eventstore.Any{}, []events.Event{a, b}, posB},
		{"same events, stale exact", eventstore.Exact(0), []events.Event{a, b}, posB},
		{"same events, stream exists", eventstore.StreamExists{}, []events.Event{a, b}, posB},
		{"last event only", eventstore.Exact(1), []events.Event{b}, posB},
		{"first event only", eventstore.Exact(2), []events.Event{a}, posA},
	}
	for _, tc := range retries {
		res, err := s.Append(testContext(t), stream, tc.expected, tc.evs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := eventstore.AppendResult{StreamVersion: 2, Position: tc.pos, Duplicate: true}
		if res != want {
			t.Errorf("%s: result %+v, want %+v", tc.name, res, want)
		}
	}

	rejects := []struct {
		name     string
		stream   string
		expected eventstore.ExpectedVersion
		evs      []events.Event
	}{
		{"stored then new, expectation holds", stream, eventstore.Exact(2), []events.Event{b, c}},
		{"stored then new, any", stream, eventstore.Any{}, []events.Event{b, c}},
		{"stored then new, expectation fails", stream, eventstore.NoStream{}, []events.Event{b, c}},
		{"new then stored", stream, eventstore.Exact(2), []events.Event{c, a}},
		{"stored id in another stream", other, eventstore.NoStream{}, []events.Event{a}},
		{"stored ids in another stream, any", other, eventstore.Any{}, []events.Event{a, b}},
		{"id repeated in one call", other, eventstore.Any{}, []events.Event{c, c}},
	}
	for _, tc := range rejects {
		res, err := s.Append(testContext(t), tc.stream, tc.expected, tc.evs...)
		wantErr(t, tc.name, err, eventstore.ErrDuplicateEventID)
		if res != (eventstore.AppendResult{}) {
			t.Errorf("%s: failed append returned %+v", tc.name, res)
		}
	}
	if got := head(t, s); got != headBefore {
		t.Fatalf("head moved from %d to %d: a retry or rejected append wrote", headBefore, got)
	}
	wantStreamVersion(t, s, stream, 2)
	wantStreamVersion(t, s, other, 0)

	// The rejected new event is still appendable on its own.
	res := mustAppend(t, s, stream, eventstore.Exact(2), c)
	if res.StreamVersion != 3 || res.Duplicate {
		t.Fatalf("append of the new event alone: %+v", res)
	}
	verifyChains(t, s)
}
