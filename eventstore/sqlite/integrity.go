package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/worldval/worldval/eventstore"
)

// maxReported caps the problems an integrity error lists.
const maxReported = 10

// quickCheck runs PRAGMA quick_check, which verifies the b-tree structure of
// every table and index in time linear in the file size but skips checking
// that indexes match their tables.
func quickCheck(ctx context.Context, conn *sql.Conn) error {
	return classify(runCheck(ctx, conn, fmt.Sprintf("PRAGMA quick_check(%d)", maxReported)))
}

// IntegrityCheck runs SQLite's full PRAGMA integrity_check (b-trees, indexes
// against tables, constraints) and checks that every stream's head row agrees
// with its last event. It reads a consistent snapshot and may run while the
// store is in use; it takes time linear in the file size. A problem is
// reported with an error wrapping [eventstore.ErrCorrupt]. It does not verify
// hash chains; read the events through an [events.ChainVerifier] for that.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	if s.isClosed() {
		return fmt.Errorf("integrity check: %w", eventstore.ErrClosed)
	}
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer conn.Close()
	if err := runCheck(ctx, conn, fmt.Sprintf("PRAGMA integrity_check(%d)", maxReported)); err != nil {
		return fmt.Errorf("integrity check %s: %w", s.path, classify(err))
	}
	if err := checkHeads(ctx, conn); err != nil {
		return fmt.Errorf("integrity check %s: %w", s.path, err)
	}
	return nil
}

// runCheck runs a quick_check or integrity_check pragma, which returns the
// single row "ok" or one row per problem found.
func runCheck(ctx context.Context, conn *sql.Conn, pragma string) error {
	rows, err := conn.QueryContext(ctx, pragma)
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return err
		}
		if msg != "ok" {
			problems = append(problems, msg)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", eventstore.ErrCorrupt, strings.Join(problems, "; "))
	}
	return nil
}

// checkHeads finds streams whose head row names a version or hash that is not
// the stream's last event.
func checkHeads(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, `
SELECT s.stream FROM streams s
LEFT JOIN events e ON e.stream_id = s.id AND e.version = s.version
WHERE e.hash IS NULL OR e.hash <> s.head_hash
   OR EXISTS (SELECT 1 FROM events x WHERE x.stream_id = s.id AND x.version > s.version)
UNION
SELECT DISTINCT 'stream id ' || e.stream_id FROM events e WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.id = e.stream_id)
LIMIT ?`, maxReported)
	if err != nil {
		return err
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var stream string
		if err := rows.Scan(&stream); err != nil {
			return err
		}
		bad = append(bad, fmt.Sprintf("%q", stream))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: stream head does not match its last event: %s", eventstore.ErrCorrupt, strings.Join(bad, ", "))
	}
	return nil
}

// classify wraps err with [eventstore.ErrCorrupt] when SQLite reports a
// damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) and returns it unchanged
// otherwise.
func classify(err error) error {
	if err == nil || errors.Is(err, eventstore.ErrCorrupt) {
		return err
	}
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%w: %w", eventstore.ErrCorrupt, err)
	}
	return err
}

// sqliteCode returns the extended SQLite result code of err, or 0 when err
// does not come from SQLite.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}
