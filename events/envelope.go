// Package events is worldval's event model: the envelope every stored event
// carries, the catalogue of domain event types with their payloads, the type
// registry with schema versions and upcasters, deterministic event ids, stream
// names, and the per-stream hash chain that makes history tamper-evident.
//
// The package depends on the standard library only, so every other layer can
// import it.
package events

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// MaxPayloadSize is the largest payload, in bytes, an event may carry. Larger
// data (covariance matrices, long series) is offloaded and referenced.
const MaxPayloadSize = 1 << 20

// Event is an event as a producer creates it, before a store has placed it in a
// stream. ID, Type, SchemaVersion and Payload are required; the store assigns
// the stream version, the global position, the recorded time and the hashes.
type Event struct {
	// ID is the event's UUID. Derive it from the command's idempotency key
	// with [IDFromKey] so that a retried command appends nothing.
	ID string `json:"event_id"`
	// Type is the catalogue name, e.g. "EvaluationRunSubmitted".
	Type string `json:"type"`
	// SchemaVersion is the version of the payload layout, starting at 1.
	SchemaVersion int `json:"schema_version"`
	// OccurredAt is when the fact happened in the domain (UTC).
	OccurredAt time.Time `json:"occurred_at"`
	// Actor is the principal that caused the event.
	Actor string `json:"actor,omitempty"`
	// CorrelationID groups the events of one business flow.
	CorrelationID string `json:"correlation_id,omitempty"`
	// CausationID is the id of the event or message that caused this one.
	CausationID string `json:"causation_id,omitempty"`
	// IdempotencyKey is the command key the id was derived from.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Payload is the event body as compact JSON.
	Payload json.RawMessage `json:"payload"`
}

// Record is an event as stored: the [Event] plus what the store assigned.
type Record struct {
	Event
	// Stream is the stream the event belongs to (see [Stream]).
	Stream string `json:"stream"`
	// StreamVersion is the 1-based, gap-free position of the event in its
	// stream.
	StreamVersion uint64 `json:"stream_version"`
	// GlobalPosition is the 1-based position in the store's $all order. It is
	// not covered by the hash, so history can be copied between stores.
	GlobalPosition uint64 `json:"global_position"`
	// RecordedAt is when the store accepted the event (UTC).
	RecordedAt time.Time `json:"recorded_at"`
	// PrevHash is the Hash of the previous event of the stream, or
	// [GenesisHash] for the first.
	PrevHash string `json:"prev_hash"`
	// Hash is the SHA-256 of the canonical envelope (see [Record.ComputeHash]).
	Hash string `json:"hash"`
}

// Validate checks what any store requires of an event before appending it.
// It does not know the catalogue; see [Registry.Check] for that.
func (e *Event) Validate() error {
	if err := e.ValidateEnvelope(); err != nil {
		return err
	}
	if !json.Valid(e.Payload) {
		return fmt.Errorf("%w: event %s (%s): payload is not valid JSON", ErrInvalidEvent, e.ID, e.Type)
	}
	return nil
}

// ValidateEnvelope is [Event.Validate] without the check that the payload
// is valid JSON (only that it is not empty), for a store that decodes the
// payload through [Registry.Check] anyway, which refuses what is not.
func (e *Event) ValidateEnvelope() error {
	switch {
	case e.ID == "":
		return fmt.Errorf("%w: empty event id", ErrInvalidEvent)
	case !isUUID(e.ID):
		return fmt.Errorf("%w: event id %q is not a lowercase UUID", ErrInvalidEvent, e.ID)
	case e.Type == "":
		return fmt.Errorf("%w: event %s: empty type", ErrInvalidEvent, e.ID)
	case !utf8.ValidString(e.Type):
		return fmt.Errorf("%w: event %s: type is not valid UTF-8", ErrInvalidEvent, e.ID)
	case e.SchemaVersion < 1:
		return fmt.Errorf("%w: event %s (%s): schema version %d < 1", ErrInvalidEvent, e.ID, e.Type, e.SchemaVersion)
	case !e.OccurredAt.IsZero() && (e.OccurredAt.UTC().Year() < 0 || e.OccurredAt.UTC().Year() > 9999):
		// [FormatTime] writes such a year with other than four digits, which
		// [ParseTime] cannot read back: the event would be stored but unreadable.
		return fmt.Errorf("%w: event %s (%s): occurred_at year %d outside 0..9999", ErrInvalidEvent, e.ID, e.Type, e.OccurredAt.UTC().Year())
	case len(e.Payload) > MaxPayloadSize:
		return fmt.Errorf("%w: event %s (%s): payload is %d bytes, limit %d", ErrPayloadTooLarge, e.ID, e.Type, len(e.Payload), MaxPayloadSize)
	case len(e.Payload) == 0:
		return fmt.Errorf("%w: event %s (%s): payload is not valid JSON", ErrInvalidEvent, e.ID, e.Type)
	}
	// A slice, not a map, so that an event with several bad fields always
	// reports the same one.
	for _, f := range [...]struct{ name, value string }{
		{"actor", e.Actor}, {"correlation_id", e.CorrelationID}, {"causation_id", e.CausationID}, {"idempotency_key", e.IdempotencyKey},
	} {
		if !utf8.ValidString(f.value) {
			return fmt.Errorf("%w: event %s (%s): %s is not valid UTF-8", ErrInvalidEvent, e.ID, e.Type, f.name)
		}
	}
	return nil
}

// isUUID reports whether s has the canonical 8-4-4-4-12 lowercase hex form.
// Uppercase is refused: the hash covers the id as written, and stores that
// keep ids in a uuid column hand them back in lowercase.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}
