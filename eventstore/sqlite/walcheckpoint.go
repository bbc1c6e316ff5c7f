package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// walCheckpointer copies the WAL into the database file in the background,
// on a connection of its own, so that no commit waits for a checkpoint.
//
// The writer counts the frames it appends to the WAL and wakes the
// checkpointer every cfg.walCheckpointPages of them; the checkpointer then
// runs a PASSIVE checkpoint, which takes no lock a writer or a reader waits
// for. A passive checkpoint alone does not bound the WAL file, though: the
// WAL starts again from its beginning only when a write transaction starts
// with every frame copied and no reader using the WAL, and under steady load
// the writer commits while the checkpoint runs. So when a checkpoint finds
// the WAL longer than cfg.walRestartPages frames, the checkpointer asks the
// writer to restart it (see writer.restartWAL) and runs no checkpoint of its
// own until the writer has; the two never contend for the checkpoint lock.
//
// Before it asks, the checkpointer does what of the restart does not need
// the writer (see prepareRestart), so that the appends waiting on the
// writer's RESTART wait for little more than a sync of the WAL.
//
// After each passive checkpoint the checkpointer has the kernel start
// writing the pages it copied to the disk (startWriteback, Linux only),
// without waiting. The file then never holds more than one checkpoint's
// worth of unwritten pages, and the sync before a restart finds little left
// to write. Without it, every page copied since the last restart (some 40
// MiB at 1,000 submissions/s) went to the disk in that one sync, and the
// commits that synced the WAL meanwhile waited behind it: a burst of slow
// verdicts about once a second (BENCHMARKS.md).
type walCheckpointer struct {
	db     *sql.DB  // one connection, used only by run
	file   *os.File // the database file, opened to sync it (see prepareRestart)
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	// noWriteback is set, and only read, by run once starting a writeback
	// has failed.
	noWriteback bool

	// restart is set by the checkpointer when the WAL has grown past
	// walRestartPages and cleared by the writer once it has run its
	// RESTART checkpoint.
	restart atomic.Bool

	// For tests and diagnostics: checkpoints run, restarts asked for,
	// restarts that gave up waiting for readers, and the last checkpoint
	// error (a failed checkpoint is retried at the next
	// wake, and Close checkpoints whatever is left).
	passives, restarts, restartsBusy atomic.Uint64
	lastErr                          atomic.Pointer[error]
	// For tests: database syncs prepareRestart ran, and writebacks
	// started after a passive checkpoint.
	presyncs, writebacks atomic.Uint64
	restartTime          atomic.Int64 // total ns the writer spent restarting the WAL
}

// openCheckpointer opens the checkpointer's connection to path and starts it.
// Its context ends at stop.
func openCheckpointer(ctx context.Context, path string, cfg config) (*walCheckpointer, error) {
	db, err := sql.Open("sqlite", dsn(path, checkpointerSettings(cfg).dsn()...))
	if err != nil {
		return nil, fmt.Errorf("open checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	if err := checkReader(ctx, db, checkpointerSettings(cfg)); err != nil {
		return nil, errors.Join(fmt.Errorf("checkpointer: %w", err), db.Close())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("checkpointer: open the database file to sync it: %w", err), db.Close())
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c := &walCheckpointer{db: db, file: f, wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go c.run(runCtx, cfg.walRestartPages)
	return c, nil
}

// poke wakes the checkpointer; it never blocks.
func (c *walCheckpointer) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// run checkpoints at every wake until ctx ends.
func (c *walCheckpointer) run(ctx context.Context, restartPages int) {
	defer close(c.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		}
		if c.restart.Load() {
			continue // the writer has yet to restart the WAL
		}
		frames, _, err := walCheckpoint(ctx, c.db, "PASSIVE")
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			err = fmt.Errorf("passive WAL checkpoint: %w", err)
			c.lastErr.Store(&err)
			continue
		}
		c.passives.Add(1)
		// The checkpoint wrote its pages to the file's page cache: have
		// the kernel start writing them out now rather than all at once
		// at the next restart's sync (see prepareRestart). A file system
		// that refuses is not asked again: that sync writes them anyway.
		if !c.noWriteback {
			if err := startWriteback(c.file); err != nil {
				c.noWriteback = true
				err = fmt.Errorf("start writing the database file back after a checkpoint (not tried again): %w", err)
				c.lastErr.Store(&err)
			} else {
				c.writebacks.Add(1)
			}
		}
		if frames >= restartPages {
			if err := c.prepareRestart(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				c.lastErr.Store(&err)
			}
			c.restarts.Add(1)
			c.restart.Store(true)
		}
	}
}

// prepareRestart does the part of a WAL restart the writer need not wait
// for. The writer's RESTART checkpoint copies what the WAL holds beyond the
// last passive checkpoint, then syncs the database file, and every append
// waits while it does. SQLite syncs the database file only at a checkpoint
// that copies the whole WAL, which under steady load only that RESTART
// does, so its sync flushed every page the passive checkpoints had copied
// since the last restart: some 18 ms at 1,000 submissions/s on this
// project's machine (strace: one fdatasync of the database file of 18 ms,
// against 0.7 ms for the WAL's), a stall of every append about once a
// second. So the checkpointer syncs the file first, then copies what was
// committed meanwhile; the RESTART is left a few hundred frames to copy and
// their pages to sync. Nothing changes for durability: the RESTART still
// syncs the file before the WAL starts again from its beginning, and an
// extra sync is never unsafe. A failed step is left to the RESTART, which
// does all of it anyway. Since the writeback started after each passive
// checkpoint (see run), this sync too finds only the last checkpoint's
// pages still to write.
func (c *walCheckpointer) prepareRestart(ctx context.Context) error {
	if err := datasync(c.file); err != nil {
		return fmt.Errorf("sync the database file before a WAL restart: %w", err)
	}
	c.presyncs.Add(1)
	if _, _, err := walCheckpoint(ctx, c.db, "PASSIVE"); err != nil {
		return fmt.Errorf("passive WAL checkpoint before a restart: %w", err)
	}
	c.passives.Add(1)
	return nil
}

// stop ends the checkpointer, waits for it and closes its connection, which
// is never the last one to the file: the writer's closes after it and
// checkpoints what is left.
func (c *walCheckpointer) stop() error {
	c.cancel()
	<-c.done
	return errors.Join(c.db.Close(), c.file.Close())
}

// rowQuerier is a connection or a pool.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// walCheckpoint runs PRAGMA wal_checkpoint(mode) on q and returns how many
// frames the WAL held and whether the checkpoint finished. One that could
// not finish because another connection was in the way (busy) is not an
// error: it copied what it could.
func walCheckpoint(ctx context.Context, q rowQuerier, mode string) (frames int, finished bool, err error) {
	var busy, log, copied int
	if err := q.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &log, &copied); err != nil {
		return 0, false, err
	}
	return log, busy == 0, nil
}
