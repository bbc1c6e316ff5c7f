package projections

import (
	"context"
	"fmt"

	"github.com/worldval/worldval/events"
)

// RunHistoryName is the stable name of the [RunHistory] projection.
const RunHistoryName = "evaluation_run_history"

// RunHistory keeps every revision of every run (validation-core §2.5): one
// {revision, recorded_at, payload} entry per change, 1-based and gap-free per
// run, each with the full snapshot after the change.
//
// A change is one append to the run's stream. The submission is one
// revision; the evaluation — MetricsComputed, one RuleEvaluated per rule and
// EvaluationCompleted, appended together by one command — is one revision
// (spec §14: each change maps to exactly one revision, and the evaluation is
// one change); every extended-layer merge, override and ex-post failure is
// one revision. The events of one append are recognised by their shared
// idempotency key and recording time. While a subscription delivers such an
// append event by event, the revision it opens is completed in place by the
// events that follow it in the same append.
//
// Create it with [NewRunHistory]. Queries are safe for concurrent use with
// one writer.
type RunHistory struct {
	engine
	shared sharedValues // used by the fold only
}

var _ Projection = (*RunHistory)(nil)

// NewRunHistory returns the history projection over store, decoding events
// with reg. It refuses nil dependencies.
func NewRunHistory(store Store, reg *events.Registry) (*RunHistory, error) {
	p := &RunHistory{}
	e, err := newEngine(RunHistoryName, store, reg, p)
	if err != nil {
		return nil, err
	}
	p.engine = e
	return p, nil
}

func (p *RunHistory) handles(t string) bool { return runEventTypes[t] }

func (p *RunHistory) fold(ctx context.Context, t *tx, rec *events.Record, payload any) error {
	k := key(p.name, "run", rec.Stream)
	h, found, err := get[runHistory](ctx, t, k)
	if err != nil {
		return err
	}
	if !found {
		h = &runHistory{}
	}
	st := h.state()
	newRevision, err := foldRun(st, rec, payload, &p.shared)
	if err != nil {
		return err
	}
	// A shallow copy of the view is a stable snapshot, because folding
	// replaces what it changes and never writes into shared slices. The
	// later events of the same change amend its revision: in a new slice,
	// since the committed value's may be shared with readers.
	e := HistoryEntry{Revision: st.View.Revision, RecordedAt: events.FormatTime(rec.RecordedAt), Payload: st.View}
	if newRevision || len(h.Revisions) == 0 {
		h.Revisions = append(h.Revisions, e)
	} else {
		n := len(h.Revisions)
		h.Revisions = append(h.Revisions[:n-1:n-1], e)
	}
	h.foldMark = st.foldMark
	t.put(k, h)
	return nil
}

// runHistory is what the history keeps of a run: every revision, and what
// folding needs to know about the last event (see [runState]). The run's
// current view is its last revision's payload, not kept a second time.
type runHistory struct {
	foldMark
	Revisions []HistoryEntry `json:"revisions"`
}

// clone returns a shallow copy of h (see [cloner]): a fold changes it by
// assigning its fields and appending to Revisions, which writes past the
// length of every copy taken before, or replacing its last entry in a new
// slice.
func (h *runHistory) clone() *runHistory {
	c := *h
	return &c
}

// state returns the run as folding left it: the last revision's view and
// the fold's scalars; the zero state before the submission.
func (h *runHistory) state() *runState {
	st := &runState{foldMark: h.foldMark}
	if n := len(h.Revisions); n > 0 {
		st.View = h.Revisions[n-1].Payload
	}
	return st
}

// History returns every revision of the run (world, strategy, run) in
// ascending order, or an error wrapping [ErrNotFound] for a run the
// projection does not hold. From a store that keeps Go values the revisions
// share memory with the store: callers only read them.
func (p *RunHistory) History(ctx context.Context, world, strategy, run string) ([]HistoryEntry, error) {
	h, err := p.load(ctx, world, strategy, run)
	if err != nil {
		return nil, err
	}
	return h.Revisions, nil
}

// Revision returns one revision of the run, or an error wrapping
// [ErrNotFound] when the run or the revision does not exist.
func (p *RunHistory) Revision(ctx context.Context, world, strategy, run string, revision int) (HistoryEntry, error) {
	h, err := p.load(ctx, world, strategy, run)
	if err != nil {
		return HistoryEntry{}, err
	}
	if revision < 1 || revision > len(h.Revisions) {
		return HistoryEntry{}, fmt.Errorf("run %q/%q/%q revision %d: %w", world, strategy, run, revision, ErrNotFound)
	}
	return h.Revisions[revision-1], nil
}

// load reads the history of the run (world, strategy, run), for the caller
// to read only (see readValue).
func (p *RunHistory) load(ctx context.Context, world, strategy, run string) (*runHistory, error) {
	stream, err := events.RunStream(world, strategy, run)
	if err != nil {
		return nil, fmt.Errorf("run %q/%q/%q: %w", world, strategy, run, ErrNotFound)
	}
	h, err := readValue[runHistory](ctx, p.store, key(p.name, "run", stream))
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", stream, err)
	}
	return h, nil
}
