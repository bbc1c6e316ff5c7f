package projections

import (
	"context"
	"encoding/json"
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
	head := key(p.name, "head", rec.Stream)
	st, found, err := get[runState](ctx, t, head)
	if err != nil {
		return err
	}
	if !found {
		st = &runState{}
	}
	if _, err := foldRun(st, rec, payload, &p.shared); err != nil {
		return err
	}
	// A shallow copy of the view is a stable snapshot, because folding
	// replaces what it changes and never writes into shared slices. The
	// later events of the same change replace this entry: in place when
	// this batch wrote it (nobody else has seen it yet), so that a batch
	// makes and writes each revision once.
	rk := p.revisionKey(rec.Stream, st.View.Revision)
	e, ok := t.written(rk).(*HistoryEntry)
	if !ok {
		e = &HistoryEntry{}
	}
	*e = HistoryEntry{
		Revision:   st.View.Revision,
		RecordedAt: events.FormatTime(rec.RecordedAt),
		Payload:    st.View,
	}
	t.put(rk, e)
	t.put(head, st)
	return nil
}

func (p *RunHistory) revisionKey(stream string, rev int) string {
	return key(p.name, "rev", stream, pad(uint64(rev)))
}

// History returns every revision of the run (world, strategy, run) in
// ascending order, or an error wrapping [ErrNotFound] for a run the
// projection does not hold.
func (p *RunHistory) History(ctx context.Context, world, strategy, run string) ([]HistoryEntry, error) {
	stream, n, err := p.head(ctx, world, strategy, run)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryEntry, 0, n)
	for rev := 1; rev <= n; rev++ {
		e, err := p.entry(ctx, stream, rev)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Revision returns one revision of the run, or an error wrapping
// [ErrNotFound] when the run or the revision does not exist.
func (p *RunHistory) Revision(ctx context.Context, world, strategy, run string, revision int) (HistoryEntry, error) {
	stream, n, err := p.head(ctx, world, strategy, run)
	if err != nil {
		return HistoryEntry{}, err
	}
	if revision < 1 || revision > n {
		return HistoryEntry{}, fmt.Errorf("run %s revision %d: %w", stream, revision, ErrNotFound)
	}
	return p.entry(ctx, stream, revision)
}

// head returns the run's stream and its latest revision number.
func (p *RunHistory) head(ctx context.Context, world, strategy, run string) (string, int, error) {
	stream, err := events.RunStream(world, strategy, run)
	if err != nil {
		return "", 0, fmt.Errorf("run %q/%q/%q: %w", world, strategy, run, ErrNotFound)
	}
	raw, err := p.store.Get(ctx, key(p.name, "head", stream))
	if err != nil {
		return "", 0, fmt.Errorf("history of %s: %w", stream, err)
	}
	var st runState
	if err := json.Unmarshal(raw, &st); err != nil {
		return "", 0, fmt.Errorf("history of %s: decode: %w", stream, err)
	}
	return stream, st.View.Revision, nil
}

func (p *RunHistory) entry(ctx context.Context, stream string, rev int) (HistoryEntry, error) {
	raw, err := p.store.Get(ctx, p.revisionKey(stream, rev))
	if err != nil {
		return HistoryEntry{}, fmt.Errorf("history of %s: revision %d: %w", stream, rev, err)
	}
	var e HistoryEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return HistoryEntry{}, fmt.Errorf("history of %s: revision %d: decode: %w", stream, rev, err)
	}
	return e, nil
}
