package projections

import (
	"context"
	"fmt"

	"github.com/worldval/worldval/events"
)

// RunCurrentName is the stable name of the [RunCurrent] projection.
const RunCurrentName = "evaluation_run_current"

// RunCurrent is the current view of every evaluation run: the full record of
// validation-core §2.2 by (world, strategy, run), per-world indexes for
// listing by strategy, stage, lifecycle status and verdict, the evaluated
// runs of each world and stage (the metrics listing of a policy diff, see
// [RunCurrent.ListMetrics]) and the set of worlds with runs. Create it with
// [NewRunCurrent]. Queries are safe for concurrent use with one writer.
type RunCurrent struct {
	engine
	shared sharedValues // used by the fold only
}

var _ Projection = (*RunCurrent)(nil)

// NewRunCurrent returns the run projection over store, decoding events with
// reg (normally [events.Catalogue]). It refuses nil dependencies.
func NewRunCurrent(store Store, reg *events.Registry) (*RunCurrent, error) {
	p := &RunCurrent{}
	e, err := newEngine(RunCurrentName, store, reg, p)
	if err != nil {
		return nil, err
	}
	p.engine = e
	return p, nil
}

func (p *RunCurrent) handles(t string) bool { return runEventTypes[t] }

func (p *RunCurrent) fold(ctx context.Context, t *tx, rec *events.Record, payload any) error {
	k := key(p.name, "run", rec.Stream)
	st, found, err := get[runState](ctx, t, k)
	if err != nil {
		return err
	}
	if !found {
		st = &runState{}
	}
	was := indexedAs(st)
	if _, err := foldRun(st, rec, payload, &p.shared); err != nil {
		return err
	}
	if is := indexedAs(st); is != was {
		before, after := p.memberships(was, rec.Stream), p.memberships(is, rec.Stream)
		for set, m := range before {
			if after[set] != m {
				t.remove(set, m)
			}
		}
		for set, m := range after {
			if before[set] != m {
				t.add(set, m)
			}
		}
	}
	t.put(k, st)
	return nil
}

// runIndexing is what decides the index sets of a run and its member in
// them: most events change none of it, and then the sets need no work.
type runIndexing struct {
	runID, world, strategy, stage, status, verdict string
	position                                       uint64
}

func indexedAs(st *runState) runIndexing {
	v := &st.View
	return runIndexing{v.RunID, v.WorldID, v.StrategyID, v.Stage, v.Status, v.Summary.Status, st.Position}
}

// memberships returns the index sets a run indexed as r belongs to, with its
// member in each; nil for a run not yet submitted. Besides the sets a
// listing filters on, an evaluated run is in the set of its world's
// evaluated runs at its stage (what [RunCurrent.ListMetrics] pages through),
// and every run puts its world in the set of worlds with runs.
func (p *RunCurrent) memberships(r runIndexing, stream string) map[string]string {
	if r.runID == "" {
		return nil
	}
	m := positionMember(r.position, stream)
	w := esc(r.world)
	out := map[string]string{
		key(p.name, "world", w):                              m,
		key(p.name, "world", w, "strategy", esc(r.strategy)): m,
		key(p.name, "world", w, "stage", esc(r.stage)):       m,
		key(p.name, "world", w, "status", esc(r.status)):     m,
	}
	if r.verdict != "" {
		out[key(p.name, "world", w, "verdict", esc(r.verdict))] = m
	}
	if r.status == StatusEvaluated {
		out[p.evaluatedIndex(r.world, r.stage)] = m
	}
	out[key(p.name, "worlds")] = r.world
	return out
}

// evaluatedIndex is the set of the evaluated runs of world at stage (as
// recorded: trimmed and lower-cased), in submission order.
func (p *RunCurrent) evaluatedIndex(world, stage string) string {
	return key(p.name, "world", esc(world), "evaluated", esc(stage))
}

// Worlds returns every world with at least one run, in byte order.
func (p *RunCurrent) Worlds(ctx context.Context) ([]string, error) {
	ws, err := p.store.Range(ctx, key(p.name, "worlds"), "", 0)
	if err != nil {
		return nil, fmt.Errorf("worlds with runs: %w", err)
	}
	return ws, nil
}

// Get returns the current view of the run (world, strategy, run), or an
// error wrapping [ErrNotFound]. From a store that keeps Go values the view
// shares its slices, pointers and documents with the store: callers only
// read it.
func (p *RunCurrent) Get(ctx context.Context, world, strategy, run string) (RunView, error) {
	stream, err := events.RunStream(world, strategy, run)
	if err != nil {
		return RunView{}, fmt.Errorf("run %q/%q/%q: %w", world, strategy, run, ErrNotFound)
	}
	st, err := p.committed(ctx, stream)
	if err != nil {
		return RunView{}, err
	}
	return st.View, nil
}

// Status returns the lifecycle status of a run ([StatusEvaluating] or
// [StatusEvaluated]), or an error wrapping [ErrNotFound]: what an answer to
// a submission needs.
func (p *RunCurrent) Status(ctx context.Context, world, strategy, run string) (string, error) {
	v, err := p.Get(ctx, world, strategy, run)
	return v.Status, err
}

// committed returns the committed state of the run with the given stream
// name, or an error wrapping [ErrNotFound], for the caller to read only (see
// readValue).
func (p *RunCurrent) committed(ctx context.Context, stream string) (*runState, error) {
	st, err := readValue[runState](ctx, p.store, key(p.name, "run", stream))
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", stream, err)
	}
	return st, nil
}
