package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// Staging: the writer gathers the rows of the small appends of a group into
// one INSERT statement and moves their streams' heads with one UPSERT, instead
// of two statements per append. When many callers append one event each (a
// group of sixteen verdicts' submissions, say), most of an append's cost in
// the writer is the statements' own overhead — binding, the VDBE program, the
// b-tree descent — which one statement of sixteen rows pays once.
//
// An append is staged only when it is the ordinary case: at most
// maxInsertRows events and its expected version holds against the group's
// view of the stream. Anything else (a wrong expected version, which may be
// an idempotent retry; a long append; a checkpoint save) first flushes what
// is staged and then takes the one-append-at-a-time path of appendOp.apply,
// so positions stay in request order. When the shared INSERT fails on a
// constraint (an event id stored before, most likely a retry), nothing of it
// was written — SQLite rolls a failed statement back — and the staged appends
// are applied again one at a time, which sorts the retries from the rest
// exactly as if they had never been staged.

// stagedAppend is an append whose records are sealed and whose values wait
// in writer.stagedArgs for the group's next flush.
type stagedAppend struct {
	req   int // its index in writer.batch and writer.outs
	op    *appendOp
	after streamHead // the stream's head once the append is in
	// before is the head the group saw before the append, and hadPending
	// whether it came from an earlier write of the same group: undoing the
	// stage restores it.
	before     streamHead
	hadPending bool
}

// stage checks and seals the append a, the req-th write of the group, and
// adds its rows to the pending INSERT. It reports false, having changed
// nothing, when a is not the ordinary case; the caller then flushes and
// applies it on its own. An error is fatal to the group.
func (w *writer) stage(ctx context.Context, req int, a *appendOp) (bool, error) {
	if len(a.evs) > maxInsertRows {
		return false, nil
	}
	if w.stagedRows+len(a.evs) > maxInsertRows {
		if err := w.flush(ctx); err != nil {
			return false, err
		}
	}
	head, err := w.heads.get(ctx, w, a.stream)
	if err != nil {
		return false, fmt.Errorf("append %s: read stream head: %w", a.stream, err)
	}
	if !eventstore.Check(a.expected, head.version) {
		return false, nil
	}
	if head.id == 0 {
		if head.id, err = w.heads.newID(ctx, w); err != nil {
			return false, fmt.Errorf("append %s: %w", a.stream, err)
		}
	}
	now := w.cfg.clock().UTC()
	if y := now.Year(); y < 0 || y > 9999 {
		return false, nil
	}
	recordedAt := events.FormatTime(now)
	collect := w.tail.enabled()
	prev := head.hash
	for i := range a.evs {
		r := events.Record{Event: a.evs[i], Stream: a.stream, StreamVersion: head.version + uint64(i) + 1, RecordedAt: now}
		r.Seal(prev)
		prev = r.Hash
		w.stagedArgs = appendInsertArgs(w.stagedArgs, head.id, &r, recordedAt)
		if collect {
			w.stagedRecs = append(w.stagedRecs, r)
		}
	}
	after := streamHead{id: head.id, version: head.version + uint64(len(a.evs)), hash: prev}
	before, had := w.heads.pending[a.stream]
	if !had {
		before = head
	}
	w.heads.set(a.stream, after)
	w.staged = append(w.staged, stagedAppend{req: req, op: a, after: after, before: before, hadPending: had})
	w.stagedRows += len(a.evs)
	return true, nil
}

// appendInsertArgs appends the insertColumns values of r, an event of the
// stream numbered streamID, to args, in the column order of insertSQL.
func appendInsertArgs(args []any, streamID int64, r *events.Record, recordedAt string) []any {
	return append(args, r.ID, streamID, int64(r.StreamVersion), r.Type, r.SchemaVersion,
		events.FormatTime(r.OccurredAt), recordedAt, r.Actor, r.CorrelationID, r.CausationID, r.IdempotencyKey,
		[]byte(r.Payload), r.PrevHash, r.Hash)
}

// flush writes what is staged: every staged row in one INSERT, then every
// staged stream's new head in one UPSERT, and gives each staged append its
// outcome. If the INSERT hits a constraint, the staged appends are undone
// and applied one at a time instead. An error is fatal to the group.
func (w *writer) flush(ctx context.Context) error {
	if len(w.staged) == 0 {
		return nil
	}
	defer w.resetStaged()
	res, err := w.insertEvents(ctx, w.stagedRows, w.stagedArgs)
	if err != nil {
		if sqliteCode(err)&0xff != sqlite3.SQLITE_CONSTRAINT {
			return fmt.Errorf("insert the events of %d appends: %w", len(w.staged), err)
		}
		return w.unstage(ctx)
	}
	last, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert the events of %d appends: %w", len(w.staged), err)
	}
	if err := w.upsertHeads(ctx); err != nil {
		return err
	}
	// One statement's rows take consecutive positions: the writer is the
	// only one inserting, and rows are never deleted.
	pos := last - int64(w.stagedRows)
	for i, r := range w.stagedRecs {
		w.fresh = append(w.fresh, tailRecord(r, pos+int64(i)+1))
	}
	for _, s := range w.staged {
		pos += int64(len(s.op.evs))
		w.outs[s.req] = outcome{res: eventstore.AppendResult{StreamVersion: s.after.version, Position: uint64(pos)}}
	}
	return nil
}

// unstage undoes the staged appends' heads, newest first, and applies each
// append on its own, in order.
func (w *writer) unstage(ctx context.Context) error {
	for i := len(w.staged) - 1; i >= 0; i-- {
		s := &w.staged[i]
		if s.hadPending {
			w.heads.pending[s.op.stream] = s.before
		} else {
			delete(w.heads.pending, s.op.stream)
		}
	}
	for _, s := range w.staged {
		out, fatal := w.applyOne(ctx, s.op)
		if fatal != nil {
			return fatal
		}
		w.outs[s.req] = out
	}
	return nil
}

// upsertHeads moves the head of every stream the staged appends wrote to
// where its last staged append left it. SQLite applies the statement's rows
// in order, so a stream that two staged appends wrote is left where the
// second put it.
func (w *writer) upsertHeads(ctx context.Context) error {
	args := w.args[:0]
	for _, s := range w.staged {
		args = append(args, s.after.id, s.op.stream, int64(s.after.version), s.after.hash)
	}
	defer func() {
		clear(args)
		w.args = args[:0]
	}()
	st, err := w.stmts.prepared(ctx, w.conn, &w.stmts.upserts, len(w.staged), upsertStreamsSQL)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("update the heads of %d streams: %w", len(w.staged), err)
	}
	return nil
}

// resetStaged empties the staging buffers, keeping their capacity.
func (w *writer) resetStaged() {
	clear(w.stagedArgs)
	clear(w.stagedRecs)
	clear(w.staged)
	w.stagedArgs, w.stagedRecs, w.staged = w.stagedArgs[:0], w.stagedRecs[:0], w.staged[:0]
	w.stagedRows = 0
}

// applyOne applies op on its own and returns its outcome; the records it
// wrote are dropped from the group's fresh records when it is rejected or a
// retry. A non-nil error is fatal to the group.
func (w *writer) applyOne(ctx context.Context, op writeOp) (outcome, error) {
	mark := len(w.fresh)
	res, reject, fatal := op.apply(ctx, w)
	if fatal != nil {
		return outcome{}, fatal
	}
	if reject != nil || res.Duplicate {
		w.dropFresh(mark) // it wrote nothing after all
	}
	return outcome{res: res, err: reject}, nil
}

// upsertStreamsSQL returns the statement that moves n stream heads, each
// given by its id, name, version and head hash: a new stream's row is
// inserted, a known one's updated by id.
func upsertStreamsSQL(n int) string {
	return `INSERT INTO streams (id, stream, version, head_hash) VALUES ` +
		strings.Repeat("(?, ?, ?, ?), ", n-1) + `(?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, head_hash = excluded.head_hash`
}

// prepared returns the statement for n rows from set, preparing it with
// text(n) on first use.
func (s *writeStmts) prepared(ctx context.Context, conn *sql.Conn, set *[maxInsertRows]*sql.Stmt, n int, text func(int) string) (*sql.Stmt, error) {
	if st := set[n-1]; st != nil {
		return st, nil
	}
	st, err := conn.PrepareContext(ctx, text(n))
	if err != nil {
		return nil, fmt.Errorf("prepare statement for %d rows: %w", n, err)
	}
	set[n-1] = st
	return st, nil
}
