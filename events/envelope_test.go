package events_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
)

func validEvent() events.Event {
	return events.Event{
		ID:            events.IDFromKey("k"),
		Type:          events.TypeDefaultPolicySet,
		SchemaVersion: 1,
		OccurredAt:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Payload:       json.RawMessage(`{"world_id":"w"}`),
	}
}

func TestEventValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(e *events.Event)
		want error
	}{
		{"valid", func(*events.Event) {}, nil},
		{"upper-case UUID is refused (ids are hashed as written)", func(e *events.Event) { e.ID = strings.ToUpper(e.ID) }, events.ErrInvalidEvent},
		{"payload at the limit", func(e *events.Event) { e.Payload = bigPayload(events.MaxPayloadSize) }, nil},
		{"payload over the limit", func(e *events.Event) { e.Payload = bigPayload(events.MaxPayloadSize + 1) }, events.ErrPayloadTooLarge},
		{"invalid JSON", func(e *events.Event) { e.Payload = json.RawMessage(`{"a":`) }, events.ErrInvalidEvent},
		{"empty payload", func(e *events.Event) { e.Payload = nil }, events.ErrInvalidEvent},
		{"empty id", func(e *events.Event) { e.ID = "" }, events.ErrInvalidEvent},
		{"id not a UUID", func(e *events.Event) { e.ID = "not-a-uuid" }, events.ErrInvalidEvent},
		{"id with a bad separator", func(e *events.Event) { e.ID = strings.Replace(e.ID, "-", "_", 1) }, events.ErrInvalidEvent},
		{"id with a non-hex digit", func(e *events.Event) { e.ID = "g" + e.ID[1:] }, events.ErrInvalidEvent},
		{"empty type", func(e *events.Event) { e.Type = "" }, events.ErrInvalidEvent},
		{"non-UTF-8 type", func(e *events.Event) { e.Type = "T\xff" }, events.ErrInvalidEvent},
		{"schema version 0", func(e *events.Event) { e.SchemaVersion = 0 }, events.ErrInvalidEvent},
		{"year beyond 9999", func(e *events.Event) { e.OccurredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, events.ErrInvalidEvent},
		{"non-UTF-8 actor", func(e *events.Event) { e.Actor = "\xff" }, events.ErrInvalidEvent},
		{"non-UTF-8 correlation id", func(e *events.Event) { e.CorrelationID = "\xff" }, events.ErrInvalidEvent},
		{"non-UTF-8 causation id", func(e *events.Event) { e.CausationID = "\xff" }, events.ErrInvalidEvent},
		{"non-UTF-8 idempotency key", func(e *events.Event) { e.IdempotencyKey = "\xff" }, events.ErrInvalidEvent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := validEvent()
			tc.edit(&e)
			err := e.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Validate = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEventValidateReportsTheFirstBadFieldDeterministically(t *testing.T) {
	e := validEvent()
	e.Actor, e.IdempotencyKey = "\xff", "\xff"
	for i := 0; i < 20; i++ {
		if err := e.Validate(); err == nil || !strings.Contains(err.Error(), "actor") {
			t.Fatalf("Validate = %v, want the actor reported", err)
		}
	}
}

// bigPayload returns a valid JSON string of exactly n bytes.
func bigPayload(n int) json.RawMessage {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'x'
	}
	b[0], b[n-1] = '"', '"'
	return b
}
