package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// eventOverhead approximates the bytes an event adds beyond its payload, for
// the group size cap.
const eventOverhead = 256

// Append stores evs at the end of stream if expected holds, durably, as
// documented on [eventstore.Store]. Every event is validated first
// ([events.Event.Validate], the stream name, and the registry when the store
// has one); nothing is queued unless all pass. A wrong expected version is an
// error wrapping [eventstore.ErrWrongExpectedVersion] that names the stream,
// the expectation and the actual version. If ctx ends before the writer has
// taken the append, nothing is written and ctx's error is returned.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, evs ...events.Event) (eventstore.AppendResult, error) {
	evs = ownEvents(evs)
	size, err := s.checkAppend(stream, expected, evs)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %q: %w", stream, err)
	}
	if err := s.admit(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	defer s.inflight.Done()
	op := &appendOp{stream: stream, expected: expected, evs: evs}
	out := s.writer.submit(ctx, newRequest(ctx, op, size))
	return out.res, out.err
}

// ownEvents returns a copy of evs whose payloads the store owns: copied
// once, into one buffer, when the append arrives. Nothing writes to them
// afterwards, so the registry's decode cache keeps them (see
// [events.Registry.CheckOwned]) and the records published to subscribers
// share them, where each used to copy the caller's bytes again.
func ownEvents(evs []events.Event) []events.Event {
	n := 0
	for i := range evs {
		n += len(evs[i].Payload)
	}
	buf := make([]byte, 0, n)
	out := make([]events.Event, len(evs))
	for i, e := range evs {
		start := len(buf)
		buf = append(buf, e.Payload...)
		if e.Payload != nil {
			// Capacity ends with the payload: an append to it copies
			// rather than writes into the next event's bytes.
			e.Payload = buf[start:len(buf):len(buf)]
		}
		out[i] = e
	}
	return out
}

// checkAppend validates an append before it is queued and returns its
// approximate size in bytes.
func (s *Store) checkAppend(stream string, expected eventstore.ExpectedVersion, evs []events.Event) (int, error) {
	if err := events.ValidateStreamName(stream); err != nil {
		return 0, err
	}
	if expected == nil {
		return 0, errors.New("nil expected version")
	}
	if len(evs) == 0 {
		return 0, fmt.Errorf("%w: no events", events.ErrInvalidEvent)
	}
	size := 0
	var seen map[string]int
	if len(evs) > 1 {
		seen = make(map[string]int, len(evs))
	}
	for i := range evs {
		e := &evs[i]
		// With a registry, its check decodes the payload, which refuses
		// what is not JSON: no separate validity pass.
		validate := e.Validate
		if s.cfg.registry != nil {
			validate = e.ValidateEnvelope
		}
		if err := validate(); err != nil {
			return 0, fmt.Errorf("event %d: %w", i, err)
		}
		if s.cfg.registry != nil {
			if err := s.cfg.registry.CheckOwned(e); err != nil {
				return 0, fmt.Errorf("event %d: %w", i, err)
			}
		}
		if seen != nil {
			if j, dup := seen[e.ID]; dup {
				return 0, fmt.Errorf("%w: %s is both event %d and event %d", eventstore.ErrDuplicateEventID, e.ID, j, i)
			}
			seen[e.ID] = i
		}
		size += len(e.Payload) + eventOverhead
	}
	return size, nil
}

// appendOp is an append as the writer applies it.
type appendOp struct {
	stream   string
	expected eventstore.ExpectedVersion
	evs      []events.Event
}

// apply writes the append. Its events go in first, then the stream's head
// row. One INSERT statement writes up to maxInsertRows events and, when one
// of them hits a stored id, fails as a whole with nothing written (SQLite
// rolls a failed statement back), so an append that fits in one statement
// needs nothing more. A longer append runs inside a SAVEPOINT, rolled back
// when a later statement fails after earlier ones went in. Either way a
// rejected append leaves no trace in the group.
func (a *appendOp) apply(ctx context.Context, w *writer) (eventstore.AppendResult, error, error) {
	head, err := w.heads.get(ctx, w, a.stream)
	if err != nil {
		return eventstore.AppendResult{}, nil, fmt.Errorf("append %s: read stream head: %w", a.stream, err)
	}
	current := head.version
	if !eventstore.Check(a.expected, current) {
		// An idempotent retry succeeds whatever it expected.
		res, reject, fatal := a.duplicates(ctx, w, current)
		if fatal != nil || reject != nil || res.Duplicate {
			return res, reject, fatal
		}
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w: expected %s, stream is at version %d",
			a.stream, eventstore.ErrWrongExpectedVersion, a.expected, current), nil
	}
	now := w.cfg.clock().UTC()
	if y := now.Year(); y < 0 || y > 9999 {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: clock returned %v, outside years 0..9999", a.stream, now), nil
	}
	recordedAt := events.FormatTime(now)
	if head.id == 0 {
		if head.id, err = w.heads.newID(ctx, w); err != nil {
			return eventstore.AppendResult{}, nil, fmt.Errorf("append %s: %w", a.stream, err)
		}
	}
	chunked := len(a.evs) > maxInsertRows
	if chunked {
		if _, err := w.stmts.savepoint.ExecContext(ctx); err != nil {
			return eventstore.AppendResult{}, nil, err
		}
	}
	prev := head.hash
	var last int64
	// The records go to the tail if the group commits and this append is
	// not rejected (the writer drops them otherwise).
	collect := w.tail.enabled()
	for from := 0; from < len(a.evs); from += maxInsertRows {
		chunk := a.evs[from:min(from+maxInsertRows, len(a.evs))]
		args, recs := w.args[:0], w.recs[:0]
		for i := range chunk {
			r := events.Record{Event: chunk[i], Stream: a.stream, StreamVersion: current + uint64(from+i) + 1, RecordedAt: now}
			r.Seal(prev)
			prev = r.Hash
			args = appendInsertArgs(args, head.id, &r, recordedAt)
			if collect {
				recs = append(recs, r)
			}
		}
		res, err := w.insertEvents(ctx, len(chunk), args)
		// Keep the buffers, not what they point to.
		clear(args)
		w.args = args[:0]
		if err != nil {
			clear(recs)
			if sqliteCode(err)&0xff != sqlite3.SQLITE_CONSTRAINT {
				return eventstore.AppendResult{}, nil, fmt.Errorf("append %s: insert events %d to %d: %w", a.stream, from+1, from+len(chunk), err)
			}
			// Most likely an id stored before: undo this append's
			// earlier events, then see whether it is a retry.
			if chunked {
				if err := w.endSavepoint(ctx, true); err != nil {
					return eventstore.AppendResult{}, nil, err
				}
			}
			res, reject, fatal := a.duplicates(ctx, w, current)
			if fatal != nil || reject != nil || res.Duplicate {
				return res, reject, fatal
			}
			// Not an id: the stream moved behind the writer's back.
			w.heads.forget(a.stream)
			return eventstore.AppendResult{}, fmt.Errorf("append %s: insert events %d to %d: %w", a.stream, from+1, from+len(chunk), err), nil
		}
		if last, err = res.LastInsertId(); err != nil {
			return eventstore.AppendResult{}, nil, fmt.Errorf("append %s: %w", a.stream, err)
		}
		// One statement's rows take consecutive positions: the writer is
		// the only one inserting, and rows are never deleted.
		first := last - int64(len(chunk)) + 1
		for i, r := range recs {
			w.fresh = append(w.fresh, tailRecord(r, first+int64(i)))
		}
		clear(recs)
		w.recs = recs[:0]
	}
	version := current + uint64(len(a.evs))
	if _, err := w.stmts.upsertStream.ExecContext(ctx, head.id, a.stream, int64(version), prev); err != nil {
		return eventstore.AppendResult{}, nil, fmt.Errorf("append %s: update stream head: %w", a.stream, err)
	}
	if chunked {
		if err := w.endSavepoint(ctx, false); err != nil {
			return eventstore.AppendResult{}, nil, err
		}
	}
	w.heads.set(a.stream, streamHead{id: head.id, version: version, hash: prev})
	return eventstore.AppendResult{StreamVersion: version, Position: uint64(last)}, nil, nil
}

// duplicates looks up the append's event ids. If every one is already in the
// stream, the append is an idempotent retry: it returns a Duplicate result
// (the stream's version and the greatest stored position among the ids). If
// some are stored (here or in another stream), the append is rejected with
// [eventstore.ErrDuplicateEventID]. If none are, it returns a zero result.
func (a *appendOp) duplicates(ctx context.Context, w *writer, current uint64) (res eventstore.AppendResult, reject, fatal error) {
	inStream := 0
	var maxPos int64
	var stored, fresh string
	for i := range a.evs {
		id := a.evs[i].ID
		var stream string
		var pos int64
		switch err := w.stmts.findEvent.QueryRowContext(ctx, id).Scan(&stream, &pos); {
		case errors.Is(err, sql.ErrNoRows):
			if fresh == "" {
				fresh = id
			}
		case err != nil:
			return res, nil, fmt.Errorf("append %s: look up event %s: %w", a.stream, id, err)
		case stream != a.stream:
			return res, fmt.Errorf("append %s: %w: event %s is stored in stream %s", a.stream, eventstore.ErrDuplicateEventID, id, stream), nil
		default:
			inStream++
			maxPos = max(maxPos, pos)
			if stored == "" {
				stored = id
			}
		}
	}
	switch {
	case inStream == len(a.evs):
		return eventstore.AppendResult{StreamVersion: current, Position: uint64(maxPos), Duplicate: true}, nil, nil
	case inStream > 0:
		return res, fmt.Errorf("append %s: %w: event %s is already stored but event %s is new",
			a.stream, eventstore.ErrDuplicateEventID, stored, fresh), nil
	default:
		return res, nil, nil
	}
}
