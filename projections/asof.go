package projections

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// asOfPage is how many events AsOf reads per store call.
const asOfPage = 1000

// AsOf answers the run, history, policy and override queries as the system
// knew them at an instant T: it folds the events recorded at or before T
// (RecordedAt <= T) into a fresh [MemoryStore] with the same projection code
// and asks the same query. A stream is read as a prefix — its events up to
// the first one recorded after T — so an answer never holds a later event of
// a stream without the earlier ones, even if the store's clock stepped back.
//
// A single run or a world's policies read only their own stream. A world's
// run list reads the streams of that world: with a run index (see
// [WithRunIndex]) it takes them from [RunCurrent] plus the events after its
// checkpoint; without one it scans the whole store. AsOf is safe for
// concurrent use.
type AsOf struct {
	store eventstore.Store
	reg   *events.Registry
	index *RunCurrent
}

// AsOfOption configures [NewAsOf].
type AsOfOption func(*AsOf)

// WithRunIndex makes world-wide queries find the run streams of a world in
// runs (which may lag: events after its checkpoint are scanned too) instead
// of scanning the whole event store.
func WithRunIndex(runs *RunCurrent) AsOfOption {
	return func(a *AsOf) { a.index = runs }
}

// NewAsOf returns the as-of reader over store, decoding events with reg. It
// refuses nil dependencies.
func NewAsOf(store eventstore.Store, reg *events.Registry, opts ...AsOfOption) (*AsOf, error) {
	switch {
	case store == nil:
		return nil, errors.New("as-of reader: nil event store")
	case reg == nil:
		return nil, errors.New("as-of reader: nil event registry")
	}
	a := &AsOf{store: store, reg: reg}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// Run returns the run (world, strategy, run) as it was at, or an error
// wrapping [ErrNotFound] when it was not yet submitted.
func (a *AsOf) Run(ctx context.Context, at time.Time, world, strategy, run string) (RunView, error) {
	p, err := foldStream(ctx, a, at, runStreamOrEmpty(world, strategy, run), NewRunCurrent)
	if err != nil {
		return RunView{}, err
	}
	return p.Get(ctx, world, strategy, run)
}

// History returns the revisions of the run recorded at or before at.
func (a *AsOf) History(ctx context.Context, at time.Time, world, strategy, run string) ([]HistoryEntry, error) {
	p, err := foldStream(ctx, a, at, runStreamOrEmpty(world, strategy, run), NewRunHistory)
	if err != nil {
		return nil, err
	}
	return p.History(ctx, world, strategy, run)
}

// Runs returns one page of the runs of world as they were at. Cursors are
// those of [RunCurrent.List] and may be passed between the two.
func (a *AsOf) Runs(ctx context.Context, at time.Time, world string, q ListQuery) (RunPage, error) {
	if _, err := q.normalize(); err != nil {
		return RunPage{}, err
	}
	p, err := foldWorld(ctx, a, at, world, NewRunCurrent)
	if err != nil {
		return RunPage{}, err
	}
	return p.List(ctx, world, q)
}

// ApprovedOverrides returns one page of the approved overrides of world (""
// for every world, which scans the whole store) as they were at.
func (a *AsOf) ApprovedOverrides(ctx context.Context, at time.Time, world string, q OverrideQuery) (OverridePage, error) {
	p, err := foldWorld(ctx, a, at, world, NewApprovedOverrides)
	if err != nil {
		return OverridePage{}, err
	}
	return p.List(ctx, world, q)
}

// Policies returns the policy versions of world as they were at, or an error
// wrapping [ErrNotFound] when the world had none.
func (a *AsOf) Policies(ctx context.Context, at time.Time, world string) (WorldPolicies, error) {
	p, err := a.foldPolicies(ctx, at, world)
	if err != nil {
		return WorldPolicies{}, err
	}
	return p.World(ctx, world)
}

// Policy returns one policy version of world as it was at (its default flag
// included).
func (a *AsOf) Policy(ctx context.Context, at time.Time, world string, version int) (PolicyVersion, error) {
	p, err := a.foldPolicies(ctx, at, world)
	if err != nil {
		return PolicyVersion{}, err
	}
	return p.Version(ctx, world, version)
}

// DefaultPolicy returns the default policy version of world as it was at.
func (a *AsOf) DefaultPolicy(ctx context.Context, at time.Time, world string) (PolicyVersion, error) {
	p, err := a.foldPolicies(ctx, at, world)
	if err != nil {
		return PolicyVersion{}, err
	}
	return p.Default(ctx, world)
}

// constructor is the signature of the projection constructors.
type constructor[P Projection] func(Store, *events.Registry) (P, error)

func (a *AsOf) foldPolicies(ctx context.Context, at time.Time, world string) (*Policies, error) {
	stream, err := events.PolicyStream(world)
	if err != nil {
		stream = ""
	}
	return foldStream(ctx, a, at, stream, NewPolicies)
}

// runStreamOrEmpty names a run stream, or "" (a stream that has no events)
// for ids no stream can have.
func runStreamOrEmpty(world, strategy, run string) string {
	s, err := events.RunStream(world, strategy, run)
	if err != nil {
		return ""
	}
	return s
}

// foldStream folds the prefix of stream up to at into a fresh projection.
func foldStream[P Projection](ctx context.Context, a *AsOf, at time.Time, stream string, newP constructor[P]) (P, error) {
	var recs []events.Record
	if stream != "" {
		var err error
		if recs, err = a.prefix(ctx, stream, at, nil); err != nil {
			var zero P
			return zero, err
		}
	}
	return foldRecords(ctx, a, recs, newP)
}

// foldWorld folds the prefixes of the run streams of world ("" for all
// worlds) up to at into a fresh projection.
func foldWorld[P Projection](ctx context.Context, a *AsOf, at time.Time, world string, newP constructor[P]) (P, error) {
	recs, err := a.worldRuns(ctx, at, world)
	if err != nil {
		var zero P
		return zero, err
	}
	return foldRecords(ctx, a, recs, newP)
}

// foldRecords applies recs, in global order, to a projection over a fresh
// memory store.
func foldRecords[P Projection](ctx context.Context, a *AsOf, recs []events.Record, newP constructor[P]) (P, error) {
	p, err := newP(NewMemoryStore(), a.reg)
	if err != nil {
		return p, err
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].GlobalPosition < recs[j].GlobalPosition })
	if err := p.ApplyBatch(ctx, recs); err != nil {
		return p, fmt.Errorf("as of: %w", err)
	}
	return p, nil
}

// StreamPrefix returns the events of stream recorded at or before at, in
// stream order: the stream as the system knew it then (none for a stream
// that did not exist yet, or does not exist).
func (a *AsOf) StreamPrefix(ctx context.Context, stream string, at time.Time) ([]events.Record, error) {
	return a.prefix(ctx, stream, at, nil)
}

// prefix appends to dst the events of stream up to the first one recorded
// after at. A stream with no events yields dst unchanged.
func (a *AsOf) prefix(ctx context.Context, stream string, at time.Time, dst []events.Record) ([]events.Record, error) {
	from := uint64(1)
	for {
		recs, err := a.store.ReadStream(ctx, stream, from, asOfPage)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return dst, nil
		}
		if err != nil {
			return nil, fmt.Errorf("as of %s: %w", events.FormatTime(at), err)
		}
		for i := range recs {
			if recs[i].RecordedAt.After(at) {
				return dst, nil
			}
			dst = append(dst, recs[i])
		}
		if len(recs) < asOfPage {
			return dst, nil
		}
		from = recs[len(recs)-1].StreamVersion + 1
	}
}

// worldRuns returns the prefixes up to at of the run streams of world (""
// for all worlds).
func (a *AsOf) worldRuns(ctx context.Context, at time.Time, world string) ([]events.Record, error) {
	prefix := events.CategoryEvaluationRun + "/"
	if world != "" {
		prefix += esc(world) + "/"
	}
	if world == "" || a.index == nil {
		return a.scan(ctx, at, prefix)
	}
	streams, err := a.indexedStreams(ctx, world, prefix)
	if err != nil {
		return nil, err
	}
	var recs []events.Record
	for _, s := range streams {
		if recs, err = a.prefix(ctx, s, at, recs); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// scan reads the whole store once and keeps, per stream whose name starts
// with prefix, the events up to the first one recorded after at.
func (a *AsOf) scan(ctx context.Context, at time.Time, prefix string) ([]events.Record, error) {
	var (
		out    []events.Record
		closed = make(map[string]bool)
		pos    uint64
	)
	for {
		recs, err := a.store.ReadAll(ctx, pos, asOfPage)
		if err != nil {
			return nil, fmt.Errorf("as of %s: %w", events.FormatTime(at), err)
		}
		for i := range recs {
			r := &recs[i]
			if !strings.HasPrefix(r.Stream, prefix) || closed[r.Stream] {
				continue
			}
			if r.RecordedAt.After(at) {
				closed[r.Stream] = true
				continue
			}
			out = append(out, *r)
		}
		if len(recs) < asOfPage {
			return out, nil
		}
		pos = recs[len(recs)-1].GlobalPosition
	}
}

// indexedStreams returns every run stream of world: those in the run index,
// plus those with events after the index's checkpoint. The checkpoint is
// read first, so the union misses nothing however far the index moves
// meanwhile.
func (a *AsOf) indexedStreams(ctx context.Context, world, prefix string) ([]string, error) {
	cp, err := a.index.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("as of: %w", err)
	}
	members, err := a.index.store.Range(ctx, a.index.index(world, &ListQuery{}), "", 0)
	if err != nil {
		return nil, fmt.Errorf("as of: run index: %w", err)
	}
	seen := make(map[string]bool, len(members))
	var streams []string
	for _, m := range members {
		_, s, err := splitPositionMember(m)
		if err != nil {
			return nil, fmt.Errorf("as of: run index: %w", err)
		}
		if !seen[s] {
			seen[s] = true
			streams = append(streams, s)
		}
	}
	for pos := cp; ; {
		recs, err := a.store.ReadAll(ctx, pos, asOfPage)
		if err != nil {
			return nil, fmt.Errorf("as of: %w", err)
		}
		for i := range recs {
			if s := recs[i].Stream; strings.HasPrefix(s, prefix) && !seen[s] {
				seen[s] = true
				streams = append(streams, s)
			}
		}
		if len(recs) < asOfPage {
			return streams, nil
		}
		pos = recs[len(recs)-1].GlobalPosition
	}
}
