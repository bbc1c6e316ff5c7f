package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// writer owns the only write connection. It takes requests from reqs in
// arrival order and commits them in groups: one transaction and one fsync per
// group. A request that can fail after writing part of itself runs inside a
// SAVEPOINT (see appendOp.apply), so its failure undoes only itself.
type writer struct {
	cfg    config
	conn   *sql.Conn
	notify *broadcaster
	reqs   chan *request
	done   chan struct{}
	stmts  writeStmts
	heads  headCache

	batch []*request // reused between groups
	outs  []outcome
	// expect is how many callers the writer knows to be appending: those
	// the last commit answered, who are likely to send again soon, and
	// those that were already queued then.
	expect int
	// commitCost is a moving average of how long a COMMIT (WAL write and
	// fsync) takes; it caps the batch window.
	commitCost time.Duration
}

func newWriter(ctx context.Context, conn *sql.Conn, cfg config, notify *broadcaster) (*writer, error) {
	w := &writer{
		cfg:    cfg,
		conn:   conn,
		notify: notify,
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
		if batch := w.collect(first); len(batch) > 0 {
			w.commit(batch)
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

// collect gathers a group: first, everything already queued, and, while
// fewer callers are in the group than the writer knows to be appending, what
// arrives within the batch window, up to the group caps.
//
// The wait is what makes group commit work on few cores: when a commit
// answers n callers, they need some tens of microseconds to wake up and send
// their next writes, and a writer that started the next commit with the
// first of them would pay one fsync for it alone and another for the rest.
// The writer knows how many callers to expect (see commit), so a lone
// sequential caller never waits, and the wait ends as soon as the expected
// callers are in. It never lasts longer than a commit has lately taken:
// beyond that, a separate commit would be cheaper than the wait.
func (w *writer) collect(first *request) []*request {
	batch, size := w.batch[:0], 0
	add := func(r *request) {
		if w.take(r) {
			batch = append(batch, r)
			size += r.size
		}
	}
	full := func() bool { return len(batch) >= w.cfg.maxBatch || size >= w.cfg.maxBatchSize }
	add(first)
	open := true
drain:
	for !full() {
		select {
		case r, ok := <-w.reqs:
			if !ok {
				open = false
				break drain
			}
			add(r)
		default:
			break drain
		}
	}
	window := min(w.cfg.batchWindow, w.commitCost)
	if open && window > 0 && len(batch) < w.expect && !full() {
		t := time.NewTimer(window)
		defer t.Stop()
	wait:
		for len(batch) < w.expect && !full() {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break wait
				}
				add(r)
			case <-t.C:
				break wait
			}
		}
	}
	w.batch = batch
	return batch
}

// commit writes a group in one transaction and answers every request in it.
func (w *writer) commit(batch []*request) {
	ctx := context.Background()
	outs := w.outs[:0]
	defer func() {
		// Before anyone in the group is answered, the queue holds only
		// callers outside it.
		w.expect = len(batch) + len(w.reqs)
		for i, r := range batch {
			r.done <- outs[i]
			outs[i] = outcome{}
			batch[i] = nil
		}
		w.outs = outs[:0]
	}()
	abort := func(err error) {
		_, rerr := w.stmts.rollback.ExecContext(ctx)
		w.heads.abort()
		err = fmt.Errorf("group commit of %d writes: %w", len(batch), errors.Join(classify(err), rerr))
		for i := range batch {
			if i >= len(outs) {
				outs = append(outs, outcome{err: err})
			} else if outs[i].err == nil {
				outs[i] = outcome{err: err}
			}
		}
	}
	if _, err := w.stmts.begin.ExecContext(ctx); err != nil {
		abort(err)
		return
	}
	if err := w.heads.begin(ctx, w.stmts.dataVersion); err != nil {
		abort(err)
		return
	}
	wrote := false
	for _, r := range batch {
		res, reject, fatal := r.op.apply(ctx, w)
		if fatal != nil {
			abort(fatal)
			return
		}
		if _, isAppend := r.op.(*appendOp); isAppend && reject == nil && !res.Duplicate {
			wrote = true
		}
		outs = append(outs, outcome{res: res, err: reject})
	}
	start := time.Now()
	if _, err := w.stmts.commit.ExecContext(ctx); err != nil {
		abort(err)
		return
	}
	w.commitCost = (3*w.commitCost + time.Since(start)) / 4
	w.heads.commit()
	if wrote {
		w.notify.broadcast()
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
