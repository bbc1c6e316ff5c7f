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

// migrations returns the schema steps in order; step i takes the schema from
// version i to i+1. Steps are only ever appended.
func migrations() []string {
	return []string{schemaV1}
}

// migrate brings the file's schema to the newest version in one immediate
// transaction, recording the version in the meta table.
func migrate(ctx context.Context, conn *sql.Conn) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("migrate: %w", err)
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
		return err
	}
	current := 0
	var v string
	switch err := conn.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		if current, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("schema version %q: %w", v, err)
		}
	}
	steps := migrations()
	if current > len(steps) {
		return fmt.Errorf("schema version %d is newer than this build's %d", current, len(steps))
	}
	for i := current; i < len(steps); i++ {
		if _, err := conn.ExecContext(ctx, steps[i]); err != nil {
			return fmt.Errorf("to schema version %d: %w", i+1, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema_version', ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(len(steps))); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	return nil
}
