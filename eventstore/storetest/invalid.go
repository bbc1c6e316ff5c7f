package storetest

import (
	"errors"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// testInvalidInput appends events and stream names no store may accept, to a
// store with the suite's registry. Each must fail with its precise error, and
// a batch in which one bad event hides among good ones must store nothing.
func testInvalidInput(t *testing.T, h Harness) {
	s, _ := newStore(t, h, Config{Registry: registry()})
	good := func(key string) events.Event { return event(key, 1) }
	with := func(key string, change func(*events.Event)) events.Event {
		e := good(key)
		change(&e)
		return e
	}
	cases := []struct {
		name   string
		stream string
		evs    []events.Event
		want   error
	}{
		{"unknown type", "bad/a", []events.Event{with("bad/1", func(e *events.Event) { e.Type = "NoSuchType" })}, events.ErrUnknownType},
		{"malformed JSON", "bad/a", []events.Event{with("bad/2", func(e *events.Event) { e.Payload = []byte(`{"n":`) })}, events.ErrInvalidEvent},
		{"payload not of the registered type", "bad/a", []events.Event{with("bad/3", func(e *events.Event) { e.Payload = []byte(`{"unknown_field":1}`) })}, events.ErrInvalidEvent},
		{"empty payload", "bad/a", []events.Event{with("bad/4", func(e *events.Event) { e.Payload = nil })}, events.ErrInvalidEvent},
		{"bad UUID", "bad/a", []events.Event{with("bad/5", func(e *events.Event) { e.ID = "not-a-uuid" })}, events.ErrInvalidEvent},
		{"empty id", "bad/a", []events.Event{with("bad/6", func(e *events.Event) { e.ID = "" })}, events.ErrInvalidEvent},
		{"schema version 0", "bad/a", []events.Event{with("bad/7", func(e *events.Event) { e.SchemaVersion = 0 })}, events.ErrInvalidEvent},
		{"schema version newer than the registry's", "bad/a", []events.Event{with("bad/8", func(e *events.Event) { e.SchemaVersion = 2 })}, events.ErrInvalidEvent},
		{"non-UTF-8 actor", "bad/a", []events.Event{with("bad/9", func(e *events.Event) { e.Actor = "\xff" })}, events.ErrInvalidEvent},
		{"empty stream name", "", []events.Event{good("bad/10")}, events.ErrInvalidStream},
		{"non-UTF-8 stream name", "bad/\xff\xfe", []events.Event{good("bad/11")}, events.ErrInvalidStream},
		{"control character in stream name", "bad/\n", []events.Event{good("bad/12")}, events.ErrInvalidStream},
		{"no events", "bad/a", nil, events.ErrInvalidEvent},
		{"bad event last in a batch", "bad/b", []events.Event{good("bad/13"), good("bad/14"), with("bad/15", func(e *events.Event) { e.Type = "NoSuchType" })}, events.ErrUnknownType},
		{"bad event first in a batch", "bad/b", []events.Event{with("bad/16", func(e *events.Event) { e.Payload = []byte("{") }), good("bad/17")}, events.ErrInvalidEvent},
	}
	for _, tc := range cases {
		res, err := s.Append(testContext(t), tc.stream, eventstore.Any{}, tc.evs...)
		wantErr(t, tc.name, err, tc.want)
		if res != (eventstore.AppendResult{}) {
			t.Errorf("%s: rejected append returned %+v", tc.name, res)
		}
	}
	if _, err := s.Append(testContext(t), "bad/a", nil, good("bad/18")); err == nil {
		t.Error("append with a nil expected version succeeded")
	}
	if got := head(t, s); got != 0 {
		t.Fatalf("rejected appends stored events: head is %d", got)
	}
	wantStreamVersion(t, s, "bad/a", 0)
	wantStreamVersion(t, s, "bad/b", 0)

	// The good events of the rejected batch were not consumed: they append.
	mustAppend(t, s, "bad/b", eventstore.NoStream{}, good("bad/13"), good("bad/14"))
	verifyChains(t, s)

	// Without a registry the store checks the envelope only.
	plain, _ := newStore(t, h, Config{})
	unknown := with("bad/19", func(e *events.Event) { e.Type = "NoSuchType" })
	mustAppend(t, plain, "bad/c", eventstore.Any{}, unknown)
	_, err := plain.Append(testContext(t), "bad/c", eventstore.Any{}, with("bad/20", func(e *events.Event) { e.Payload = []byte("{") }))
	if !errors.Is(err, events.ErrInvalidEvent) {
		t.Fatalf("malformed JSON without a registry: %v", err)
	}
}
