package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/worldval/worldval/eventstore"
)

// Store is an event store in one SQLite file. It implements
// [eventstore.Store] and [eventstore.Checkpoints] and is safe for concurrent
// use. Open it with [Open] and Close it when done.
type Store struct {
	cfg  config
	path string

	wdb    *sql.DB // holds the single write connection, used only by the writer
	rdb    *sql.DB // read-only connection pool
	reads  readStmts
	writer *writer
	ckpt   *walCheckpointer // checkpoints the WAL in the background
	notify *broadcaster
	tail   *tail // recent records, for live subscribers

	// Records subscriptions have delivered from the tail and from the
	// file, for tests and diagnostics.
	fromTail, fromFile atomic.Uint64

	mu       sync.RWMutex // guards closed against Append/SaveCheckpoint admission
	closed   bool
	inflight sync.WaitGroup // writes admitted before Close
	closing  chan struct{}  // closed when Close starts: ends subscriptions

	closeOnce sync.Once
	closeErr  error

	// migratedFrom is the schema version Open found the file at when it
	// migrated it, 0 when it did not (see Migrated).
	migratedFrom int
}

var (
	_ eventstore.Store       = (*Store)(nil)
	_ eventstore.Checkpoints = (*Store)(nil)
)

// Open opens the store in the SQLite file at path, creating the file and its
// directories when missing, and migrates the schema. It runs PRAGMA
// quick_check first: a damaged file is reported with an error wrapping
// [eventstore.ErrCorrupt] and left untouched. A file written by a newer build
// (a higher schema version) is refused.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := newConfig(opts)
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("open event store %s: %w", abs, err)
	}
	s := &Store{cfg: cfg, path: abs, notify: newBroadcaster(), tail: newTail(cfg.tailRecords, cfg.tailBytes),
		closing: make(chan struct{})}
	if err := s.open(ctx); err != nil {
		return nil, fmt.Errorf("open event store %s: %w", abs, errors.Join(err, s.closeDBs()))
	}
	return s, nil
}

// open connects both pools, checks and migrates the file and starts the
// writer. On error the caller closes what was opened.
func (s *Store) open(ctx context.Context) error {
	if err := registerWALVFS(); err != nil {
		return err
	}
	var err error
	settings := writerSettings(s.cfg)
	s.wdb, err = sql.Open("sqlite", dsn(s.path, settings.dsn()...))
	if err != nil {
		return err
	}
	s.wdb.SetMaxOpenConns(1)
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return classify(fmt.Errorf("connect: %w", err))
	}
	if err := quickCheck(ctx, conn); err != nil {
		conn.Close()
		return err
	}
	if err := settings.check(ctx, conn); err != nil {
		conn.Close()
		return err
	}
	if s.migratedFrom, err = migrate(ctx, conn); err != nil {
		conn.Close()
		return classify(err)
	}
	s.rdb, err = sql.Open("sqlite", dsn(s.path, readerSettings(s.cfg).dsn()...))
	if err != nil {
		conn.Close()
		return err
	}
	s.rdb.SetMaxOpenConns(s.cfg.readConns)
	s.rdb.SetMaxIdleConns(s.cfg.readConns)
	if err := checkReader(ctx, s.rdb, readerSettings(s.cfg)); err != nil {
		conn.Close()
		return classify(err)
	}
	if err := s.reads.prepare(ctx, s.rdb); err != nil {
		conn.Close()
		return classify(err)
	}
	s.ckpt, err = openCheckpointer(ctx, s.path, s.cfg)
	if err != nil {
		conn.Close()
		return classify(err)
	}
	s.writer, err = newWriter(ctx, conn, s.cfg, s.notify, s.tail, s.ckpt)
	if err != nil {
		conn.Close()
		return err
	}
	go s.writer.run()
	return nil
}

// checkReader connects a read connection and checks its settings.
func checkReader(ctx context.Context, db *sql.DB, want settings) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect reader: %w", err)
	}
	defer conn.Close()
	if err := want.check(ctx, conn); err != nil {
		return fmt.Errorf("reader: %w", err)
	}
	return nil
}

// dsn builds a modernc.org/sqlite data source name: a file: URI (so that any
// character of the path is escaped) through the WAL-buffering VFS (see
// walvfs.go), with one _pragma per connection setting.
func dsn(path string, pragmas ...string) string {
	q := url.Values{"_pragma": pragmas, "vfs": {walVFSName}}
	return "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?" + q.Encode()
}

// Migrated reports whether Open migrated an existing file to this build's
// schema ([SchemaVersion]), and from which version: what an operator should
// hear of, since a file at the new version no longer opens with an older
// build. A new file, or one already at the current version, was not.
func (s *Store) Migrated() (from int, ok bool) { return s.migratedFrom, s.migratedFrom > 0 }

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close waits for the appends and checkpoint saves already in flight, ends
// subscriptions with [eventstore.ErrClosed], stops the writer and the
// background WAL checkpointer and closes the file, whose WAL is then copied
// into it and removed. Later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		s.inflight.Wait()
		var werr error
		if s.writer != nil {
			werr = s.writer.stop()
		}
		s.closeErr = errors.Join(werr, s.closeDBs())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close event store %s: %w", s.path, s.closeErr)
		}
	})
	return s.closeErr
}

// closeDBs stops the checkpointer and closes the connection pools, the
// writer's last: closing the last connection to the file checkpoints the
// WAL into it and removes the WAL.
func (s *Store) closeDBs() error {
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.stop())
	}
	if s.rdb != nil {
		errs = append(errs, s.reads.close(), s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	return errors.Join(errs...)
}

// admit registers a write that must finish before Close proceeds. It fails
// once Close has started; on success the caller must call s.inflight.Done.
func (s *Store) admit() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

// isClosed reports whether Close has started.
func (s *Store) isClosed() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}
