package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/worldval/worldval/eventstore"
)

// writer owns the only write connection. It takes requests from reqs in
// arrival order and commits them in groups: one transaction and one fsync per
// group, one SAVEPOINT per request.
type writer struct {
	cfg    config
	conn   *sql.Conn
	notify *broadcaster
	reqs   chan *request
	done   chan struct{}
	stmts  writeStmts

	batch []*request // reused between groups
	outs  []outcome
}

// writeOp is one caller's write: an append or a checkpoint save.
type writeOp interface {
	// apply performs the write inside the request's savepoint. A non-nil
	// reject is the caller's own failure (wrong expected version, duplicate
	// id): its savepoint is rolled back and the group goes on. A non-nil
	// fatal error (I/O, a full disk) aborts the whole group.
	apply(ctx context.Context, w *writer) (res eventstore.AppendResult, reject, fatal error)
}

// Request states: the writer moves a queued request to taken; a caller whose
// context ends first moves it to abandoned, and the writer skips it. Exactly
// one side wins, so a caller that returns its context's error wrote nothing.
const (
	queued int32 = iota
	taken
	abandoned
)

// request carries one write to the writer and its outcome back.
type request struct {
	ctx   context.Context
	op    writeOp
	size  int // approximate bytes, for the group size cap
	state atomic.Int32
	done  chan outcome // buffered: the writer never blocks on it
}

// outcome is what the writer reports for one request.
type outcome struct {
	res eventstore.AppendResult
	err error
}

func newRequest(ctx context.Context, op writeOp, size int) *request {
	return &request{ctx: ctx, op: op, size: size, done: make(chan outcome, 1)}
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

// submit hands r to the writer and waits for its outcome. If ctx ends before
// the writer has taken r, r is abandoned and ctx's error returned; once taken,
// r's outcome is awaited (at most one group commit), so the error returned
// always tells whether r was written.
func (w *writer) submit(ctx context.Context, r *request) outcome {
	select {
	case w.reqs <- r:
	case <-ctx.Done():
		return outcome{err: ctx.Err()}
	}
	select {
	case out := <-r.done:
		return out
	case <-ctx.Done():
		if r.state.CompareAndSwap(queued, abandoned) {
			return outcome{err: ctx.Err()}
		}
		return <-r.done
	}
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

// take claims r for the current group. It reports false when the caller has
// abandoned r or its context has already ended (then r is answered here).
func (w *writer) take(r *request) bool {
	if !r.state.CompareAndSwap(queued, taken) {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.done <- outcome{err: err}
		return false
	}
	return true
}

// collect gathers a group: first, everything already queued, and, with a
// batch window, what arrives within it, up to the group caps.
func (w *writer) collect(first *request) []*request {
	batch, size := w.batch[:0], 0
	add := func(r *request) {
		if w.take(r) {
			batch = append(batch, r)
			size += r.size
		}
	}
	add(first)
	var window <-chan time.Time
	if w.cfg.batchWindow > 0 {
		t := time.NewTimer(w.cfg.batchWindow)
		defer t.Stop()
		window = t.C
	}
	for len(batch) < w.cfg.maxBatch && size < w.cfg.maxBatchSize {
		select {
		case r, ok := <-w.reqs:
			if !ok {
				return w.keep(batch)
			}
			add(r)
			continue
		default:
		}
		if window == nil {
			break
		}
		select {
		case r, ok := <-w.reqs:
			if !ok {
				return w.keep(batch)
			}
			add(r)
		case <-window:
			return w.keep(batch)
		}
	}
	return w.keep(batch)
}

func (w *writer) keep(batch []*request) []*request {
	w.batch = batch
	return batch
}

// commit writes a group in one transaction and answers every request in it.
func (w *writer) commit(batch []*request) {
	ctx := context.Background()
	outs := w.outs[:0]
	defer func() {
		for i, r := range batch {
			r.done <- outs[i]
			outs[i] = outcome{}
			batch[i] = nil
		}
		w.outs = outs[:0]
	}()
	abort := func(err error) {
		_, rerr := w.stmts.rollback.ExecContext(ctx)
		err = fmt.Errorf("group commit of %d writes: %w", len(batch), errors.Join(err, rerr))
		for i := range batch {
			if i >= len(outs) {
				outs = append(outs, outcome{err: err})
			} else if outs[i].err == nil {
				outs[i] = outcome{err: err}
			}
		}
	}
	if _, err := w.stmts.begin.ExecContext(ctx); err != nil {
		abort(classify(err))
		return
	}
	wrote := false
	for _, r := range batch {
		if _, err := w.stmts.savepoint.ExecContext(ctx); err != nil {
			abort(classify(err))
			return
		}
		res, reject, fatal := r.op.apply(ctx, w)
		if fatal != nil {
			abort(classify(fatal))
			return
		}
		if reject != nil {
			if err := w.rollbackSavepoint(ctx); err != nil {
				abort(classify(err))
				return
			}
		}
		if _, err := w.stmts.release.ExecContext(ctx); err != nil {
			abort(classify(err))
			return
		}
		if _, isAppend := r.op.(*appendOp); isAppend && reject == nil && !res.Duplicate {
			wrote = true
		}
		outs = append(outs, outcome{res: res, err: reject})
	}
	if _, err := w.stmts.commit.ExecContext(ctx); err != nil {
		abort(classify(err))
		return
	}
	if wrote {
		w.notify.broadcast()
	}
}

// rollbackSavepoint undoes the current request's writes; the savepoint stays
// open until released.
func (w *writer) rollbackSavepoint(ctx context.Context) error {
	_, err := w.stmts.rollbackTo.ExecContext(ctx)
	return err
}
