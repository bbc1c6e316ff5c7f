package sqlite

import (
	"context"
	"sync/atomic"

	"github.com/worldval/worldval/eventstore"
)

// writeOp is one caller's write: an append or a checkpoint save.
type writeOp interface {
	// apply performs the write inside the group's transaction. A non-nil
	// reject is the caller's own failure (wrong expected version, duplicate
	// id), after which apply must have left nothing of itself written; the
	// group goes on. A non-nil fatal error (I/O, a full disk) aborts the
	// whole group.
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

// take claims r for the writer. It reports false when the caller has
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
