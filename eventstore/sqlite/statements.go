package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// writeStmts are the writer's statements, prepared once on the write
// connection.
type writeStmts struct {
	begin, commit, rollback        *sql.Stmt
	savepoint, release, rollbackTo *sql.Stmt
	streamHead, upsertStream       *sql.Stmt
	insertEvent, findEvent         *sql.Stmt
	saveCheckpoint, dataVersion    *sql.Stmt
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
		{&s.streamHead, "SELECT version, head_hash FROM streams WHERE stream = ?"},
		{&s.upsertStream, `INSERT INTO streams (stream, version, head_hash) VALUES (?, ?, ?)
ON CONFLICT (stream) DO UPDATE SET version = excluded.version, head_hash = excluded.head_hash`},
		{&s.insertEvent, `INSERT INTO events (event_id, stream, version, type, schema_version, occurred_at, recorded_at,
	actor, correlation_id, causation_id, idempotency_key, payload, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.findEvent, "SELECT stream, position FROM events WHERE event_id = ?"},
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
	for _, st := range []*sql.Stmt{s.begin, s.commit, s.rollback, s.savepoint, s.release, s.rollbackTo,
		s.streamHead, s.upsertStream, s.insertEvent, s.findEvent, s.saveCheckpoint, s.dataVersion} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
