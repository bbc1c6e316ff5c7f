package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// readStmts are the reads' statements, prepared once on the read pool so
// that a read does not parse its SQL again (database/sql prepares each on a
// pooled connection the first time that connection runs it, then reuses
// it). Reading the global stream and the run streams is the hot path of
// every subscription.
type readStmts struct {
	streamVersion, readStream, readAll, head *sql.Stmt
}

func (s *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.streamVersion, "SELECT id, version FROM streams WHERE stream = ?"},
		{&s.readStream, "SELECT " + recordColumns + recordsFrom + " WHERE e.stream_id = ? AND e.version >= ? ORDER BY e.version LIMIT ?"},
		{&s.readAll, "SELECT " + recordColumns + recordsFrom + " WHERE e.position > ? ORDER BY e.position LIMIT ?"},
		{&s.head, "SELECT COALESCE(MAX(position), 0) FROM events"},
	} {
		st, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			return errors.Join(fmt.Errorf("prepare %q: %w", p.sql, err), s.close())
		}
		*p.dst = st
	}
	return nil
}

func (s *readStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.streamVersion, s.readStream, s.readAll, s.head} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
