package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// maxInsertRows caps the events one INSERT statement writes. An append of
// up to this many events is one statement, which SQLite applies or rolls
// back as a whole; the cap bounds the statements the writer keeps prepared
// (one per row count) and their parameters (insertColumns each).
const maxInsertRows = 16

// insertColumns is the number of columns insertEvents writes per event.
const insertColumns = 14

// insertSQL returns the statement that inserts n events.
func insertSQL(n int) string {
	row := "(" + strings.Repeat("?, ", insertColumns-1) + "?)"
	return `INSERT INTO events (event_id, stream_id, version, type, schema_version, occurred_at, recorded_at,
	actor, correlation_id, causation_id, idempotency_key, payload, prev_hash, hash)
VALUES ` + strings.Repeat(row+", ", n-1) + row
}

// insertEvents inserts n events in one statement, args holding their
// insertColumns values each, in order.
func (w *writer) insertEvents(ctx context.Context, n int, args []any) (sql.Result, error) {
	st, err := w.stmts.prepared(ctx, w.conn, &w.stmts.inserts, n, insertSQL)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// writeStmts are the writer's statements, prepared once on the write
// connection.
type writeStmts struct {
	begin, commit, rollback        *sql.Stmt
	savepoint, release, rollbackTo *sql.Stmt
	streamHead, upsertStream       *sql.Stmt
	lastStreamID, findEvent        *sql.Stmt
	saveCheckpoint, dataVersion    *sql.Stmt
	// inserts[n-1] inserts n events and upserts[n-1] moves the heads of n
	// streams; each is prepared when first needed.
	inserts, upserts [maxInsertRows]*sql.Stmt
}

func (s *writeStmts) prepare(ctx context.Context, conn *sql.Conn) error {
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.begin, "BEGIN IMMEDIATE"},
		{&s.commit, "COMMIT"},
		{&s.rollback, "ROLLBACK"},
		{&s.savepoint, "SAVEPOINT write"},
		{&s.release, "RELEASE write"},
		{&s.rollbackTo, "ROLLBACK TO write"},
		{&s.streamHead, "SELECT id, version, head_hash FROM streams WHERE stream = ?"},
		{&s.upsertStream, upsertStreamsSQL(1)},
		{&s.lastStreamID, "SELECT COALESCE(MAX(id), 0) FROM streams"},
		{&s.findEvent, "SELECT s.stream, e.position FROM events e JOIN streams s ON s.id = e.stream_id WHERE e.event_id = ?"},
		{&s.saveCheckpoint, `INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`},
		{&s.dataVersion, "PRAGMA data_version"},
	} {
		st, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			return errors.Join(fmt.Errorf("prepare %q: %w", p.sql, err), s.close())
		}
		*p.dst = st
	}
	return nil
}

func (s *writeStmts) close() error {
	var errs []error
	all := []*sql.Stmt{s.begin, s.commit, s.rollback, s.savepoint, s.release, s.rollbackTo,
		s.streamHead, s.upsertStream, s.lastStreamID, s.findEvent, s.saveCheckpoint, s.dataVersion}
	for _, st := range append(append(all, s.inserts[:]...), s.upserts[:]...) {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
