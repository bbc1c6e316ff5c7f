// Package eventstore defines worldval's event store: append-only streams with
// optimistic concurrency, a global order ($all), catch-up subscriptions and
// checkpoints. Backends live in sub-packages (sqlite, later postgres and
// kurrentdb); every backend passes the conformance suite in storetest.
package eventstore

import (
	"context"
	"errors"
	"strconv"

	"github.com/worldval/worldval/events"
)

// Sentinel errors callers branch on. Backends wrap them with context.
var (
	// ErrWrongExpectedVersion reports that the stream's current version is
	// not the one the append expected. Reload and decide again.
	ErrWrongExpectedVersion = errors.New("wrong expected version")
	// ErrStreamNotFound reports a read of a stream that has no events.
	ErrStreamNotFound = errors.New("stream not found")
	// ErrDuplicateEventID reports an append that reuses event ids already
	// stored in another stream, or mixes stored and new ids.
	ErrDuplicateEventID = errors.New("duplicate event id")
	// ErrClosed reports use of a store after Close.
	ErrClosed = errors.New("event store closed")
	// ErrCorrupt reports stored data that fails the backend's own integrity
	// check. The store never repairs it silently.
	ErrCorrupt = errors.New("event store corrupt")
)

// ExpectedVersion is what an append expects of its stream. It is a sealed sum
// type: the only implementations are [Any], [NoStream], [StreamExists] and
// [Exact].
type ExpectedVersion interface {
	isExpectedVersion()
	String() string
}

// Any accepts the stream in whatever state it is.
type Any struct{}

// NoStream requires the stream to have no events yet.
type NoStream struct{}

// StreamExists requires the stream to have at least one event.
type StreamExists struct{}

// Exact requires the stream's last event to have exactly this version
// (versions are 1-based, so Exact(3) means "three events so far").
type Exact uint64

func (Any) isExpectedVersion()          {}
func (NoStream) isExpectedVersion()     {}
func (StreamExists) isExpectedVersion() {}
func (Exact) isExpectedVersion()        {}

func (Any) String() string          { return "any" }
func (NoStream) String() string     { return "no stream" }
func (StreamExists) String() string { return "stream exists" }
func (e Exact) String() string      { return "version " + strconv.FormatUint(uint64(e), 10) }

// Check reports whether a stream at version current (0 = no stream) satisfies
// the expectation. Backends use it so every backend agrees.
func Check(expected ExpectedVersion, current uint64) bool {
	switch e := expected.(type) {
	case Any:
		return true
	case NoStream:
		return current == 0
	case StreamExists:
		return current > 0
	case Exact:
		return current == uint64(e)
	default:
		return false
	}
}

// AppendResult reports where an append left its stream.
type AppendResult struct {
	// StreamVersion is the stream's version after the append.
	StreamVersion uint64
	// Position is the global position of the last event of the append (of
	// the stored events when the append was a duplicate).
	Position uint64
	// Duplicate is true when every event was already stored and nothing was
	// written (an idempotent retry).
	Duplicate bool
}

// Handler receives events from a subscription, in global order. An error stops
// the subscription and is returned by Subscribe.
//
// rec.Payload may be shared with the store and with other subscribers: a
// handler must treat it as read-only. It may keep the record, but must copy
// the payload before changing it (events.Registry.Decode already hands
// upcasters a copy).
type Handler func(ctx context.Context, rec events.Record) error

// Store is an append-only event store. Implementations are safe for
// concurrent use.
type Store interface {
	// Append adds events to the end of stream if expected holds. Events
	// whose ids are all already stored in the stream make the call a
	// successful no-op (Duplicate = true), whatever expected says. All
	// events of one call are stored atomically or not at all. A call with
	// no events, or with a nil expected version, is an error; an id that
	// occurs twice in one call is ErrDuplicateEventID.
	Append(ctx context.Context, stream string, expected ExpectedVersion, evs ...events.Event) (AppendResult, error)
	// ReadStream returns up to limit events of stream with version >= from
	// (from 0 or 1 reads from the start), in version order; a limit <= 0
	// means no limit. A stream with no events is ErrStreamNotFound.
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]events.Record, error)
	// ReadAll returns up to limit events with global position > after, in
	// global order; a limit <= 0 means no limit. As with a [Handler],
	// callers treat the records' payloads as read-only: a backend may
	// share them.
	ReadAll(ctx context.Context, after uint64, limit int) ([]events.Record, error)
	// Subscribe delivers every event with global position > after to h, in
	// global order: first the stored ones, then new ones as they are
	// appended, with no gap and no duplicate at the hand-over. It blocks
	// until ctx is done (returning ctx.Err()), h fails (returning its
	// error) or the store is closed (returning an error wrapping
	// ErrClosed). The payloads h receives are read-only (see [Handler]).
	Subscribe(ctx context.Context, after uint64, h Handler) error
	// Head returns the global position of the last stored event (0 when
	// empty).
	Head(ctx context.Context) (uint64, error)
	// Close releases the store. Appends in flight finish first.
	Close() error
}

// Checkpoints stores the position up to which a named subscriber has
// processed the global stream.
type Checkpoints interface {
	// Checkpoint returns the stored position for name (0 when none).
	Checkpoint(ctx context.Context, name string) (uint64, error)
	// SaveCheckpoint durably stores position for name.
	SaveCheckpoint(ctx context.Context, name string, position uint64) error
}
