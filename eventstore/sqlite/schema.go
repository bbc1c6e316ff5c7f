package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// schemaV1 is the first schema. Times are text in [events.TimeLayout], which
// sorts like the instant; payloads are blobs so they read back byte for byte.
//
// streams holds each stream's current version and head hash, so that an
// append reads one row instead of scanning the stream; the writer keeps it in
// step with events inside the same transaction. The foreign key from events
// is checked at commit, so an append can insert its events before it moves
// the head (see appendOp.apply).
const schemaV1 = `
CREATE TABLE streams (
	stream    TEXT    NOT NULL PRIMARY KEY,
	version   INTEGER NOT NULL CHECK (version >= 1),
	head_hash TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE events (
	position        INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id        TEXT    NOT NULL UNIQUE,
	stream          TEXT    NOT NULL REFERENCES streams (stream) DEFERRABLE INITIALLY DEFERRED,
	version         INTEGER NOT NULL CHECK (version >= 1),
	type            TEXT    NOT NULL,
	schema_version  INTEGER NOT NULL,
	occurred_at     TEXT    NOT NULL,
	recorded_at     TEXT    NOT NULL,
	actor           TEXT    NOT NULL,
	correlation_id  TEXT    NOT NULL,
	causation_id    TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL,
	payload         BLOB    NOT NULL,
	prev_hash       TEXT    NOT NULL,
	hash            TEXT    NOT NULL,
	UNIQUE (stream, version)
) STRICT;

CREATE TABLE checkpoints (
	name       TEXT    NOT NULL PRIMARY KEY,
	position   INTEGER NOT NULL CHECK (position >= 0),
	updated_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
`

// schemaV2 keys the events of a stream by a number instead of by its name,
// and drops AUTOINCREMENT. Both cut what a group commit writes to the WAL
// (and the checkpoints copy again into the file), measured on the WAL of a
// bench ingest run at 1,000 submissions/s: of 23 pages per commit, the
// (stream, version) index took six and the streams table four, one leaf
// page per stream appended to, since stream names scatter over the key
// space (a hundred strategies, each with its own run streams); and
// sqlite_sequence took one more.
//
//   - streams gets a rowid, id, which the writer hands out in creation order
//     (see headCache.newID); the name stays unique, through an index that a
//     stream's creation writes to once. events refers to its stream by id,
//     so the (stream_id, version) index and the streams rows of the streams
//     in flight, all recent, sit at the right edge of their b-trees, on a
//     few pages that each commit rewrites, instead of one scattered page per
//     stream. Readers join the name back (see recordColumns).
//   - position is a plain INTEGER PRIMARY KEY: SQLite gives a new row the
//     greatest position plus one, which is what AUTOINCREMENT gave, since
//     rows are never deleted, without updating sqlite_sequence in every
//     commit.
//
// The step copies every event into the new tables in position order, each
// stream taking the id of its order of first appearance, and drops the old
// ones; an event whose stream has no head row (which the foreign key never
// let in) fails the step on stream_id NOT NULL, and the whole migration
// rolls back. The old tables' pages go to the file's free list, which
// later appends reuse.
const schemaV2 = `
CREATE TABLE streams_v2 (
	id        INTEGER NOT NULL PRIMARY KEY,
	stream    TEXT    NOT NULL UNIQUE,
	version   INTEGER NOT NULL CHECK (version >= 1),
	head_hash TEXT    NOT NULL
) STRICT;

INSERT INTO streams_v2 (id, stream, version, head_hash)
SELECT ROW_NUMBER() OVER (ORDER BY first, stream), stream, version, head_hash FROM (
	SELECT s.stream, s.version, s.head_hash,
		(SELECT MIN(e.position) FROM events e WHERE e.stream = s.stream) AS first
	FROM streams s
);

CREATE TABLE events_v2 (
	position        INTEGER NOT NULL PRIMARY KEY,
	event_id        TEXT    NOT NULL UNIQUE,
	stream_id       INTEGER NOT NULL REFERENCES streams_v2 (id) DEFERRABLE INITIALLY DEFERRED,
	version         INTEGER NOT NULL CHECK (version >= 1),
	type            TEXT    NOT NULL,
	schema_version  INTEGER NOT NULL,
	occurred_at     TEXT    NOT NULL,
	recorded_at     TEXT    NOT NULL,
	actor           TEXT    NOT NULL,
	correlation_id  TEXT    NOT NULL,
	causation_id    TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL,
	payload         BLOB    NOT NULL,
	prev_hash       TEXT    NOT NULL,
	hash            TEXT    NOT NULL,
	UNIQUE (stream_id, version)
) STRICT;

INSERT INTO events_v2 (position, event_id, stream_id, version, type, schema_version, occurred_at, recorded_at,
	actor, correlation_id, causation_id, idempotency_key, payload, prev_hash, hash)
SELECT e.position, e.event_id, s.id, e.version, e.type, e.schema_version, e.occurred_at, e.recorded_at,
	e.actor, e.correlation_id, e.causation_id, e.idempotency_key, e.payload, e.prev_hash, e.hash
FROM events e LEFT JOIN streams_v2 s ON s.stream = e.stream
ORDER BY e.position;

DROP TABLE events;
DROP TABLE streams;
ALTER TABLE streams_v2 RENAME TO streams;
ALTER TABLE events_v2 RENAME TO events;
`

// SchemaVersion is the version of the file layout this build writes: a file
// at an older one is migrated when opened, one at a newer one is refused.
const SchemaVersion = 2

// migrations returns the schema steps in order; step i takes the schema from
// version i to i+1. Steps are only ever appended.
func migrations() []string {
	return []string{schemaV1, schemaV2}
}

// migrate brings the file's schema to the newest version in one immediate
// transaction, recording the version in the meta table. It returns the
// version it migrated an existing file from, 0 when there was none (a new
// file, or one already at the newest version).
func migrate(ctx context.Context, conn *sql.Conn) (from int, err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_, rerr := conn.ExecContext(context.Background(), "ROLLBACK")
			err = errors.Join(fmt.Errorf("migrate: %w", err), rerr)
		}
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS meta (
	key   TEXT NOT NULL PRIMARY KEY,
	value TEXT NOT NULL
) STRICT, WITHOUT ROWID`); err != nil {
		return 0, err
	}
	current := 0
	var v string
	switch err := conn.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, err
	default:
		if current, err = strconv.Atoi(v); err != nil {
			return 0, fmt.Errorf("schema version %q: %w", v, err)
		}
	}
	steps := migrations()
	if current > len(steps) {
		return 0, fmt.Errorf("schema version %d is newer than this build's %d", current, len(steps))
	}
	for i := current; i < len(steps); i++ {
		if _, err := conn.ExecContext(ctx, steps[i]); err != nil {
			return 0, fmt.Errorf("to schema version %d: %w", i+1, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema_version', ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(len(steps))); err != nil {
		return 0, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, err
	}
	if current == len(steps) {
		return 0, nil
	}
	return current, nil
}
