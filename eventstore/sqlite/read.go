package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// recordColumns are the columns scanRecords reads, in order, of events e
// joined with their streams s (see recordsFrom).
const recordColumns = `e.position, e.event_id, s.stream, e.version, e.type, e.schema_version, e.occurred_at, e.recorded_at,
	e.actor, e.correlation_id, e.causation_id, e.idempotency_key, e.payload, e.prev_hash, e.hash`

// recordsFrom is the FROM clause of recordColumns: each event with its
// stream's name, looked up by the stream's id (the rowid of streams).
const recordsFrom = ` FROM events e JOIN streams s ON s.id = e.stream_id`

// ReadStream returns up to limit events of stream with version >= from, in
// version order, as documented on [eventstore.Store].
//
// Every answer holds in one snapshot of the store, without a transaction
// around the two reads: the stream's version is read first, and a stream
// that is missing then, or holds nothing at or after from, is answered from
// that read alone; otherwise the events are read in a second statement,
// whose later snapshot still holds the stream (streams are never removed)
// and every event the first saw. Without the BEGIN and ROLLBACK, a read of a
// stream that does not exist (the model cards of most strategies, looked up
// at every submission) is one statement.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]events.Record, error) {
	if err := events.ValidateStreamName(stream); err != nil {
		return nil, fmt.Errorf("read stream %q: %w", stream, err)
	}
	if s.isClosed() {
		return nil, fmt.Errorf("read stream %s: %w", stream, eventstore.ErrClosed)
	}
	from = max(from, 1)
	if from > 1<<63-1 {
		return nil, nil
	}
	var id, version int64
	switch err := s.reads.streamVersion.QueryRowContext(ctx, stream).Scan(&id, &version); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("read stream %s: %w", stream, eventstore.ErrStreamNotFound)
	case err != nil:
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	if from > uint64(version) {
		return nil, nil
	}
	rows, err := s.reads.readStream.QueryContext(ctx, id, int64(from), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	recs, err := scanRecords(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s from version %d: %w", stream, from, err)
	}
	return recs, nil
}

// ReadAll returns up to limit events with global position > after, in global
// order, as documented on [eventstore.Store].
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]events.Record, error) {
	if s.isClosed() {
		return nil, fmt.Errorf("read all: %w", eventstore.ErrClosed)
	}
	if after > 1<<63-1 {
		return nil, nil
	}
	rows, err := s.reads.readAll.QueryContext(ctx, int64(after), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	recs, err := scanRecords(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	return recs, nil
}

// Head returns the global position of the last stored event, 0 when the store
// is empty.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if s.isClosed() {
		return 0, fmt.Errorf("head: %w", eventstore.ErrClosed)
	}
	var head int64
	if err := s.reads.head.QueryRowContext(ctx).Scan(&head); err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	return uint64(head), nil
}

// sqlLimit turns the interface's limit (<= 0: none) into SQLite's (-1: none).
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return -1
	}
	return int64(limit)
}

// scanRecords reads and closes rows of recordColumns.
func scanRecords(rows *sql.Rows, limit int) ([]events.Record, error) {
	defer rows.Close()
	var recs []events.Record
	if limit > 0 {
		recs = make([]events.Record, 0, min(limit, 256))
	}
	for rows.Next() {
		var (
			r                  events.Record
			pos, version       int64
			occurred, recorded string
			payload            []byte
		)
		if err := rows.Scan(&pos, &r.ID, &r.Stream, &version, &r.Type, &r.SchemaVersion, &occurred, &recorded,
			&r.Actor, &r.CorrelationID, &r.CausationID, &r.IdempotencyKey, &payload, &r.PrevHash, &r.Hash); err != nil {
			return nil, classify(err)
		}
		var err error
		if r.OccurredAt, err = events.ParseTime(occurred); err != nil {
			return nil, fmt.Errorf("%w: event at position %d: occurred_at: %w", eventstore.ErrCorrupt, pos, err)
		}
		if r.RecordedAt, err = events.ParseTime(recorded); err != nil {
			return nil, fmt.Errorf("%w: event at position %d: recorded_at: %w", eventstore.ErrCorrupt, pos, err)
		}
		r.GlobalPosition, r.StreamVersion, r.Payload = uint64(pos), uint64(version), payload
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return recs, nil
}
