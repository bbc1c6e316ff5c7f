package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlite "modernc.org/sqlite"

	"github.com/worldval/worldval/events"
)

// restartBusyTimeout bounds how long the writer's RESTART checkpoint waits
// for readers to leave the WAL (see writer.restartWAL).
const restartBusyTimeout = 10 * time.Millisecond

// writer owns the only write connection. It takes requests from reqs in
// arrival order and commits them in groups: one transaction and one fsync per
// group. A request that can fail after writing part of itself runs inside a
// SAVEPOINT (see appendOp.apply), so its failure undoes only itself.
type writer struct {
	cfg    config
	conn   *sql.Conn
	notify *broadcaster
	tail   *tail
	ckpt   *walCheckpointer
	reqs   chan *request
	done   chan struct{}
	stmts  writeStmts
	heads  headCache

	// The current group: its requests, their outcomes (in step), and its
	// approximate size in bytes. The slices are reused between groups.
	batch []*request
	outs  []outcome
	size  int
	// fresh holds the records the group has written, as ReadAll would
	// read them back, for the tail; only filled when the tail is enabled.
	fresh []events.Record
	// args and recs are an append's scratch buffers: the values of one
	// INSERT statement and the records it writes.
	args []any
	recs []events.Record
	// The appends staged for the group's next shared INSERT (see stage),
	// their values, their records (when the tail is enabled) and how many
	// rows they make.
	staged     []stagedAppend
	stagedArgs []any
	stagedRecs []events.Record
	stagedRows int
	// expect is how many callers the writer knows to be appending: those
	// the last commit answered, who are likely to send again soon, and
	// those that were already queued then.
	expect int
	// commitCost is a moving average of how long a COMMIT (WAL write and
	// fsync) takes; it caps the batch window.
	commitCost time.Duration
	// frames counts the pages committed to the WAL since the writer last
	// woke the checkpointer.
	frames int
}

func newWriter(ctx context.Context, conn *sql.Conn, cfg config, notify *broadcaster, t *tail, ckpt *walCheckpointer) (*writer, error) {
	w := &writer{
		cfg:    cfg,
		conn:   conn,
		notify: notify,
		tail:   t,
		ckpt:   ckpt,
		reqs:   make(chan *request, cfg.maxBatch),
		done:   make(chan struct{}),
	}
	if err := w.stmts.prepare(ctx, conn); err != nil {
		return nil, err
	}
	return w, nil
}

// run is the writer goroutine. It ends when reqs is closed and drained.
func (w *writer) run() {
	defer close(w.done)
	for first := range w.reqs {
		if w.take(first) {
			w.group(first)
		}
		if w.ckpt.restart.Load() {
			w.restartWAL()
		}
	}
}

// stop closes the request queue, waits for the writer to drain it and
// releases the write connection. No request may be submitted after stop.
func (w *writer) stop() error {
	close(w.reqs)
	<-w.done
	return errors.Join(w.stmts.close(), w.conn.Close())
}

// group runs one group commit: it opens a transaction, applies first and
// each write that joins the group (see next) as it arrives, commits, and
// answers every caller in the group. Small appends are staged and written
// together (see stage), whenever the queue runs dry: applying writes while
// later ones are still on their way keeps the writer busy while the callers
// of the previous group prepare their next writes.
//
// The records the group wrote go to the tail after the commit (so
// subscribers only ever see durable records) and before the broadcast (so a
// woken subscriber finds them there).
func (w *writer) group(first *request) {
	ctx := context.Background()
	w.batch, w.outs, w.size = w.batch[:0], w.outs[:0], 0
	defer w.answer()
	defer w.dropFresh(0)
	w.batch = append(w.batch, first)
	if _, err := w.stmts.begin.ExecContext(ctx); err != nil {
		w.abort(ctx, err)
		return
	}
	foreign, err := w.heads.begin(ctx, w.stmts.dataVersion)
	if err != nil {
		w.abort(ctx, err)
		return
	}
	if foreign {
		// The tail knows nothing of what another connection stored.
		w.tail.invalidate()
	}
	var wait groupWait
	defer wait.stop()
	w.resetStaged()
	for r := first; r != nil; r = w.next(&wait) {
		if r != first {
			w.batch = append(w.batch, r)
		}
		w.size += r.size
		i := len(w.outs)
		w.outs = append(w.outs, outcome{}) // a staged append's comes with the flush
		if a, ok := r.op.(*appendOp); ok {
			staged, err := w.stage(ctx, i, a)
			if err != nil {
				w.abort(ctx, err)
				return
			}
			if staged {
				continue
			}
		}
		if err := w.flush(ctx); err != nil {
			w.abort(ctx, err)
			return
		}
		out, fatal := w.applyOne(ctx, r.op)
		if fatal != nil {
			w.abort(ctx, fatal)
			return
		}
		w.outs[i] = out
	}
	if err := errors.Join(wait.err, w.flush(ctx)); err != nil {
		w.abort(ctx, err)
		return
	}
	start := time.Now()
	if _, err := w.stmts.commit.ExecContext(ctx); err != nil {
		w.abort(ctx, err)
		return
	}
	w.commitCost = (3*w.commitCost + time.Since(start)) / 4
	w.countFrames()
	w.heads.commit()
	w.tail.publish(w.fresh)
	if w.wroteEvents() {
		w.notify.broadcast()
	}
}

// wroteEvents reports whether an append of the group stored events.
func (w *writer) wroteEvents() bool {
	for i, r := range w.batch {
		if _, isAppend := r.op.(*appendOp); isAppend && w.outs[i].err == nil && !w.outs[i].res.Duplicate {
			return true
		}
	}
	return false
}

// dropFresh forgets the group's records from index mark on.
func (w *writer) dropFresh(mark int) {
	clear(w.fresh[mark:])
	w.fresh = w.fresh[:mark]
}

// groupWait is the batch window of one group, started the first time the
// writer has nothing queued to apply.
type groupWait struct {
	timer   *time.Timer
	expired bool
	// err is a fatal error of a flush next ran while waiting.
	err error
}

func (g *groupWait) stop() {
	if g.timer != nil {
		g.timer.Stop()
	}
}

// next returns the next write to join the open group, or nil when the group
// should commit: when it has reached its caps, when the queue is closed, or
// when nothing is queued and either every caller the writer expects is in or
// the batch window has passed.
//
// The wait is what makes group commit work on few cores: when a commit
// answers n callers, they need some tens of microseconds to wake up and send
// their next writes, and a writer that committed with the first of them would
// pay one fsync for it alone and another for the rest. The writer knows how
// many callers to expect (see answer), so a lone sequential caller never
// waits, and the wait ends as soon as the expected callers are in. It never
// lasts longer than a commit has lately taken: beyond that, a separate
// commit would be cheaper than the wait.
func (w *writer) next(g *groupWait) *request {
	for len(w.batch) < w.cfg.maxBatch && w.size < w.cfg.maxBatchSize {
		select {
		case r, ok := <-w.reqs:
			if !ok {
				return nil
			}
			if w.take(r) {
				return r
			}
			continue
		default:
		}
		window := min(w.cfg.batchWindow, w.commitCost)
		if g.expired || len(w.batch) >= w.expect || window <= 0 {
			return nil
		}
		// Nothing is queued: write what is staged while the next callers
		// are on their way, rather than after the last has come.
		if err := w.flush(context.Background()); err != nil {
			g.err = err
			return nil
		}
		if len(w.reqs) > 0 {
			continue
		}
		if g.timer == nil {
			g.timer = time.NewTimer(window)
		}
		select {
		case r, ok := <-w.reqs:
			if !ok {
				return nil
			}
			if w.take(r) {
				return r
			}
		case <-g.timer.C:
			g.expired = true
			return nil
		}
	}
	return nil
}

// abort rolls the group's transaction back and gives every caller in the
// group that was not already rejected the group's error.
func (w *writer) abort(ctx context.Context, err error) {
	_, rerr := w.stmts.rollback.ExecContext(ctx)
	w.heads.abort()
	// A failed COMMIT may or may not have reached the file: from now on
	// the file alone can tell.
	w.tail.invalidate()
	err = fmt.Errorf("group commit of %d writes: %w", len(w.batch), errors.Join(classify(err), rerr))
	for i := range w.batch {
		if i >= len(w.outs) {
			w.outs = append(w.outs, outcome{err: err})
		} else if w.outs[i].err == nil {
			w.outs[i] = outcome{err: err}
		}
	}
}

// answer gives every caller of the group its outcome.
func (w *writer) answer() {
	// Before anyone in the group is answered, the queue holds only callers
	// outside it: together they are the callers to expect next time.
	w.expect = len(w.batch) + len(w.reqs)
	for i, r := range w.batch {
		r.done <- w.outs[i]
		w.outs[i] = outcome{}
		w.batch[i] = nil
	}
}

// endSavepoint releases the append's savepoint, first rolling it back when
// undo is set.
func (w *writer) endSavepoint(ctx context.Context, undo bool) error {
	if undo {
		if _, err := w.stmts.rollbackTo.ExecContext(ctx); err != nil {
			return err
		}
	}
	_, err := w.stmts.release.ExecContext(ctx)
	return err
}

// countFrames adds the pages the last commit appended to the WAL (SQLite's
// count of pages the connection wrote, which in WAL mode are WAL frames) and
// wakes the checkpointer every cfg.walCheckpointPages of them. A count that
// cannot be read counts as a full round, so checkpoints run more often, not
// never.
func (w *writer) countFrames() {
	n := w.cfg.walCheckpointPages
	_ = w.conn.Raw(func(dc any) error {
		st, ok := dc.(sqlite.DBStatus)
		if !ok {
			return nil
		}
		if pages, _, err := st.Status(sqlite.DBStatusCacheWrite, true); err == nil {
			n = pages
		}
		return nil
	})
	w.frames += n
	if w.frames >= w.cfg.walCheckpointPages {
		w.frames = 0
		w.ckpt.poke()
	}
}

// restartWAL is the backstop that keeps the WAL file bounded: the
// checkpointer asks for it when the WAL has grown past walRestartPages
// frames, which happens when the writer keeps committing while the passive
// checkpoints run. Between groups, the writer runs a RESTART checkpoint on its
// own connection: it copies the few frames the last passive checkpoint did
// not and waits up to restartBusyTimeout for readers to leave the WAL, so
// that the next commit writes the WAL from its beginning. Appends wait for
// it, but it runs once per walRestartPages frames at most, and briefly
// (TestWALStaysBounded: under 1 ms a restart; about 6 ms with a reader busy
// all along, which a longer wait made worse, not better). It gives up
// quietly (the checkpointer asks again later) when readers stay.
func (w *writer) restartWAL() {
	defer w.ckpt.restart.Store(false)
	t0 := time.Now()
	defer func() { w.ckpt.restartTime.Add(int64(time.Since(t0))) }()
	ctx := context.Background()
	short := "PRAGMA busy_timeout = " + fmt.Sprint(restartBusyTimeout.Milliseconds())
	usual := "PRAGMA busy_timeout = " + fmt.Sprint(w.cfg.busyTimeout.Milliseconds())
	_, err := w.conn.ExecContext(ctx, short)
	if err == nil {
		var finished bool
		_, finished, err = walCheckpoint(ctx, w.conn, "RESTART")
		if err == nil && !finished {
			w.ckpt.restartsBusy.Add(1)
		}
		_, rerr := w.conn.ExecContext(ctx, usual)
		err = errors.Join(err, rerr)
	}
	if err != nil {
		err = fmt.Errorf("restart WAL: %w", err)
		w.ckpt.lastErr.Store(&err)
	}
}
