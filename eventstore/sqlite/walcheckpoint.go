package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
type walCheckpointer struct {
	db     *sql.DB // one connection, used only by run
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

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
	restartTime                      atomic.Int64 // total ns the writer spent restarting the WAL
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
	runCtx, cancel := context.WithCancel(context.Background())
	c := &walCheckpointer{db: db, wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
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
		if frames >= restartPages {
			c.restarts.Add(1)
			c.restart.Store(true)
		}
	}
}

// stop ends the checkpointer, waits for it and closes its connection, which
// is never the last one to the file: the writer's closes after it and
// checkpoints what is left.
func (c *walCheckpointer) stop() error {
	c.cancel()
	<-c.done
	return c.db.Close()
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
