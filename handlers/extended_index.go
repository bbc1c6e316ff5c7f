package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/internal/hashindex"
	"github.com/worldval/worldval/validation/extended"
)

// runView is what the extended handler knows of one run for cohorts,
// targets and the fallback baseline: the fields of the run read model it
// uses. Its metrics are read through [worldIndex.metrics].
type runView struct {
	StrategyID, RunID, Stage, CampaignID string
	// CreatedAt and UpdatedAt are the run record's timestamps in Unix
	// seconds (the read model keeps them to the second), which order a
	// strategy's runs (D15).
	CreatedAt, UpdatedAt int64
	// Active is the verdict's summary.active.
	Active bool
	// id is the run's place in its index, noRun for a view the index did
	// not give.
	id int32
}

// noRun is the id of a view that names no run of the index.
const noRun int32 = -1

// noTime is a timestamp the index does not know, in Unix seconds: that of
// the zero time.Time, before any other (the read model's empty string
// sorted first too).
const noTime int64 = -62135596800

// runRec is one run of the world index. It holds no pointer: names are
// ids into the index's name table and the stream name and run id are in
// its arena, so that the collector neither marks nor scans anything per
// run the index keeps, however many runs a world evaluated.
type runRec struct {
	created, updated int64 // Unix seconds
	stream, runID    arenaRef
	// strategy, stage and campaign are ids into worldIndex.names.
	strategy, stage, campaign uint32
	// latestIn is how many slots the run is the latest of.
	latestIn  int32
	evaluated bool
	active    bool
}

// hotRun is the metrics of a run the index keeps them for: a run not
// evaluated yet, and a run that is the latest of some slot — the runs a pass
// reads metrics of. The metrics of every other run are in its stream.
type hotRun struct {
	// loaded is false for a run that became the latest of a slot again
	// after its metrics were dropped: [worldIndex.metrics] reads them from
	// the run's stream when first asked.
	loaded  bool
	metrics json.RawMessage   // the metrics document before pending
	pending []json.RawMessage // patches not yet applied
	doc     map[string]any    // decoded current metrics, nil until asked
}

// worldIndex keeps the runs of each world the extended handler has passed
// over: seeded once per world from a [RunSource] (the run read model), then
// kept current from the events the handler's subscription delivers, so that
// a pass does not list and decode every run record again. Events already
// reflected by the seed are applied again harmlessly (their effects are
// idempotent: merge patches, timestamps, statuses), and the index converges
// as the subscription catches up. It is safe for concurrent use.
//
// A world keeps every run it evaluated, since a world-wide pass may pick an
// older one, and an override may move an older one back to the front. So
// the index holds its runs in pointer-free records (see [runRec]) and keeps
// metrics only for the runs that are the latest of some slot.
type worldIndex struct {
	source RunSource
	repo   *aggregates.Repository
	reg    *events.Registry

	mu     sync.Mutex
	worlds map[string]*worldRuns // seeded worlds
	runs   []runRec              // every run, in the order first seen
	hot    map[int32]*hotRun
	// byStream finds a run by its stream name without a pointer per run.
	byStream *hashindex.Index[int32]
	names    nameTable
	arena    arena
}

// worldRuns is one world's runs.
type worldRuns struct {
	order []int32 // ids in the order first seen
	// slots holds the latest evaluated run of each slot.
	slots map[slotKey]int32
}

// slotKey names the runs of one strategy that compete to be its member of
// one cohort (D15): those of a stage, or those of a campaign (any stage).
// Its names are the index's ids.
type slotKey struct {
	stage, campaign, strategy uint32
}

func newWorldIndex(source RunSource, repo *aggregates.Repository) *worldIndex {
	ix := &worldIndex{source: source, repo: repo, reg: repo.Registry(), worlds: map[string]*worldRuns{},
		hot: map[int32]*hotRun{}, names: newNameTable()}
	ix.byStream = hashindex.New(func(id int32) string { return ix.arena.get(ix.runs[id].stream) }, nil)
	return ix
}

// runSpec is what a run is added to the index with.
type runSpec struct {
	stream, runID, strategy, stage, campaign string
	created, updated                         int64
	evaluated, active                        bool
	metrics                                  json.RawMessage
}

// add records a new run of w and returns its id; ix.mu is held.
func (ix *worldIndex) add(w *worldRuns, s runSpec) int32 {
	id := int32(len(ix.runs))
	stream := ix.arena.put(s.stream)
	runID := stream
	if !(len(s.stream) > len(s.runID) && strings.HasSuffix(s.stream, "/"+s.runID)) {
		runID = ix.arena.put(s.runID)
	} else {
		runID.off += uint32(len(s.stream) - len(s.runID))
		runID.n = uint32(len(s.runID))
	}
	ix.runs = append(ix.runs, runRec{
		created: s.created, updated: s.updated, stream: stream, runID: runID,
		strategy: ix.names.id(s.strategy), stage: ix.names.id(s.stage), campaign: ix.names.id(s.campaign),
	})
	ix.byStream.Put(s.stream, id)
	w.order = append(w.order, id)
	ix.hot[id] = &hotRun{loaded: true, metrics: s.metrics}
	if s.evaluated {
		before := ix.runs[id]
		ix.runs[id].evaluated, ix.runs[id].active = true, s.active
		ix.settle(w, id, before)
	}
	return id
}

// lookup returns the id of the run on stream; ix.mu is held.
func (ix *worldIndex) lookup(stream string) (int32, bool) { return ix.byStream.Get(stream) }

// changed notes that run id of w was evaluated, or that its timestamps
// moved from what before holds, and updates the latest run of its slots;
// ix.mu is held. A run joins its slots when it is first evaluated.
//
// The latest run of a slot is its greatest by (updated_at, created_at,
// first seen): a later run wins a tie, as it does for paper/shadow
// baselines. A run that moves ahead of its slot's latest takes its place;
// the latest moving back (a caller's earlier timestamp on an override) has
// the slot looked over again.
func (ix *worldIndex) changed(w *worldRuns, id int32, before runRec) {
	r := &ix.runs[id]
	if !r.evaluated {
		return
	}
	keys := [2]slotKey{{stage: r.stage, strategy: r.strategy}, {campaign: r.campaign, strategy: r.strategy}}
	n := 1
	if r.campaign != 0 { // not the empty name
		n = 2
	}
	for _, k := range keys[:n] {
		latest, ok := w.slots[k]
		switch {
		case !ok:
			ix.setLatest(w, k, id)
		case latest == id:
			if before.evaluated && ix.ahead(before, id, r, id) {
				ix.setLatest(w, k, ix.latestOf(w, k))
			}
		case ix.ahead(*r, id, &ix.runs[latest], latest):
			ix.setLatest(w, k, id)
		}
	}
}

// ahead reports whether run a (id ida) is later than run b (id idb) by
// (updated_at, created_at, first seen).
func (ix *worldIndex) ahead(a runRec, ida int32, b *runRec, idb int32) bool {
	if c := cmp.Compare(a.updated, b.updated); c != 0 {
		return c > 0
	}
	if c := cmp.Compare(a.created, b.created); c != 0 {
		return c > 0
	}
	return ida > idb
}

// latestOf returns the latest evaluated run of slot k of w; ix.mu is held.
func (ix *worldIndex) latestOf(w *worldRuns, k slotKey) int32 {
	best := noRun
	for _, id := range w.order {
		r := &ix.runs[id]
		if !r.evaluated || r.strategy != k.strategy || (k.campaign != 0 && r.campaign != k.campaign) || (k.campaign == 0 && r.stage != k.stage) {
			continue
		}
		if best == noRun || ix.ahead(*r, id, &ix.runs[best], best) {
			best = id
		}
	}
	return best
}

// setLatest makes id the latest run of slot k of w: the run it replaces
// drops its metrics when it is the latest of no other slot, and id keeps
// its own (to be read from its stream if they were dropped); ix.mu is held.
func (ix *worldIndex) setLatest(w *worldRuns, k slotKey, id int32) {
	was, ok := w.slots[k]
	if ok && was == id {
		return
	}
	w.slots[k] = id
	if ix.runs[id].latestIn++; ix.hot[id] == nil {
		ix.hot[id] = &hotRun{}
	}
	if ok {
		if ix.runs[was].latestIn--; ix.runs[was].latestIn == 0 {
			delete(ix.hot, was)
		}
	}
}

// view returns the view of run id; ix.mu is held.
func (ix *worldIndex) view(id int32) runView {
	r := &ix.runs[id]
	return runView{StrategyID: ix.names.get(r.strategy), RunID: ix.arena.get(r.runID), Stage: ix.names.get(r.stage),
		CampaignID: ix.names.get(r.campaign), CreatedAt: r.created, UpdatedAt: r.updated, Active: r.active, id: id}
}

// current returns, in the order the index first saw them, the runs of world
// that are the latest of some slot: the latest evaluated run of each
// strategy in each stage and in each campaign. Every cohort (D15), the
// strategies known to the world and the latest run of each strategy are the
// same over these runs as over all the world's evaluated runs, which is
// what a run trigger's pass needs ([worldIndex.evaluated] lists them all,
// for the world-wide passes that also look at older runs).
func (ix *worldIndex) current(ctx context.Context, world string) ([]runView, error) {
	if err := ix.seedWorld(ctx, world); err != nil {
		return nil, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	w := ix.worlds[world]
	latest := make([]int32, 0, len(w.slots))
	for _, id := range w.slots {
		latest = append(latest, id)
	}
	slices.Sort(latest)
	latest = slices.Compact(latest)
	out := make([]runView, len(latest))
	for i, id := range latest {
		out[i] = ix.view(id)
	}
	return out, nil
}

// viewOf returns the index's view of the evaluated run on stream.
func (ix *worldIndex) viewOf(world, stream string) (runView, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.worlds[world] == nil {
		return runView{}, false
	}
	id, ok := ix.lookup(stream)
	if !ok || !ix.runs[id].evaluated {
		return runView{}, false
	}
	return ix.view(id), true
}

// evaluated returns the evaluated runs of world in the order the index
// first saw them (submission order for the seed), seeding the world first.
func (ix *worldIndex) evaluated(ctx context.Context, world string) ([]runView, error) {
	if err := ix.seedWorld(ctx, world); err != nil {
		return nil, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	w := ix.worlds[world]
	out := make([]runView, 0, len(w.order))
	for _, id := range w.order {
		if ix.runs[id].evaluated {
			out = append(out, ix.view(id))
		}
	}
	return out, nil
}

// seedWorld reads a world's evaluated runs from the source once.
func (ix *worldIndex) seedWorld(ctx context.Context, world string) error {
	ix.mu.Lock()
	_, seeded := ix.worlds[world]
	ix.mu.Unlock()
	if seeded {
		return nil
	}
	views, err := ix.source.EvaluatedRuns(ctx, world)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, seeded := ix.worlds[world]; seeded {
		return nil
	}
	w := &worldRuns{slots: map[slotKey]int32{}}
	ix.worlds[world] = w
	for i := range views {
		v := &views[i]
		stream, err := events.RunStream(world, v.StrategyID, v.RunID)
		if err != nil {
			continue
		}
		if _, known := ix.lookup(stream); known {
			continue
		}
		ix.add(w, runSpec{stream: stream, runID: v.RunID, strategy: v.StrategyID, stage: v.Stage, campaign: v.Summary.CampaignID,
			created: unixSecondsOr(v.CreatedAt, noTime), updated: unixSecondsOr(v.UpdatedAt, noTime),
			evaluated: true, active: v.Summary.Active != nil && *v.Summary.Active, metrics: v.Metrics})
	}
	return nil
}

// observe folds an event of a run stream into the index of a seeded world.
// A verdict for a run the index does not know (it was evaluating when the
// world was seeded) loads the run's aggregate.
func (ix *worldIndex) observe(ctx context.Context, rec *events.Record) error {
	if !strings.HasPrefix(rec.Stream, events.CategoryEvaluationRun+"/") {
		return nil
	}
	_, ids, err := events.ParseStream(rec.Stream)
	if err != nil || len(ids) != 3 {
		return nil
	}
	world := ids[0]
	at := rec.OccurredAt
	if at.IsZero() {
		at = rec.RecordedAt
	}
	when := at.Unix()
	ix.mu.Lock()
	w := ix.worlds[world]
	id, known := ix.lookup(rec.Stream)
	ix.mu.Unlock()
	if w == nil {
		return nil
	}
	if !known {
		var s runSpec
		switch rec.Type {
		case events.TypeEvaluationRunSubmitted:
			p, err := events.DecodeAs[events.EvaluationRunSubmitted](ix.reg, &rec.Event)
			if err != nil {
				return err
			}
			s = runSpec{stream: rec.Stream, runID: p.RunID, strategy: p.StrategyID, stage: p.Stage, campaign: p.CampaignID,
				created: when, updated: when, metrics: p.Metrics}
		case events.TypeEvaluationCompleted:
			snap, err := aggregates.Load[evaluationrun.Run](ctx, ix.repo, rec.Stream)
			if err != nil {
				return err
			}
			req := &snap.State.Request
			s = runSpec{stream: rec.Stream, runID: req.RunID, strategy: req.StrategyID, stage: req.Stage, campaign: req.CampaignID,
				created: snap.State.SubmittedAt.Unix(), metrics: snap.State.Metrics}
		default:
			return nil
		}
		ix.mu.Lock()
		if id, known = ix.lookup(rec.Stream); !known {
			id = ix.add(w, s)
		}
		ix.mu.Unlock()
		if rec.Type == events.TypeEvaluationRunSubmitted {
			return nil
		}
	}
	payload, err := ix.reg.Decode(&rec.Event)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	r := &ix.runs[id]
	before := *r
	hot := ix.hot[id]
	switch p := payload.(type) {
	case *events.MetricsComputed:
		if hot != nil {
			*hot = hotRun{loaded: true, metrics: p.Metrics}
		}
		r.updated = when
	case *events.RuleEvaluated:
		r.updated = when
	case *events.EvaluationCompleted:
		r.evaluated, r.active, r.updated = true, p.Active, when
	case *events.ExtendedValidationCompleted:
		// A run without loaded metrics reads them, patches included,
		// from its stream.
		if hot != nil && hot.loaded && len(p.MetricsPatch) > 0 {
			hot.pending = append(hot.pending, p.MetricsPatch)
		}
		r.updated = when
	case *events.OverrideRecorded:
		r.updated = callerTimeOr(p.Timestamp, when)
	case *events.ExPostFailureRecorded:
		r.updated = callerTimeOr(p.RecordedAt, when)
	}
	ix.settle(w, id, before)
	return nil
}

// settle notes that run id of w changed from before (see
// [worldIndex.changed]) and drops its metrics if it was evaluated behind
// the latest run of each of its slots; ix.mu is held.
func (ix *worldIndex) settle(w *worldRuns, id int32, before runRec) {
	ix.changed(w, id, before)
	if r := &ix.runs[id]; r.evaluated && r.latestIn == 0 {
		delete(ix.hot, id)
	}
}

// metrics returns the current metrics document of the run of v (shared:
// callers must not modify it), nil when it does not decode. The document of
// a run the index keeps no metrics for is read from the run's stream.
func (ix *worldIndex) metrics(ctx context.Context, v runView) (map[string]any, error) {
	if v.id == noRun {
		return nil, nil
	}
	ix.mu.Lock()
	hot := ix.hot[v.id]
	if hot != nil && hot.loaded {
		defer ix.mu.Unlock()
		if hot.doc == nil {
			doc, err := extended.DecodeObject(hot.metrics)
			if err != nil {
				return nil, nil
			}
			hot.doc = doc
		}
		for _, raw := range hot.pending {
			if patch, err := extended.DecodeObject(raw); err == nil {
				hot.doc = extended.ApplyPatch(hot.doc, patch)
			}
		}
		hot.pending = nil
		return hot.doc, nil
	}
	stream := strings.Clone(ix.arena.get(ix.runs[v.id].stream))
	ix.mu.Unlock()
	snap, err := aggregates.Load[evaluationrun.Run](ctx, ix.repo, stream)
	if err != nil {
		return nil, fmt.Errorf("metrics of %s: %w", stream, err)
	}
	doc, err := currentMetricsOf(snap.State)
	if err != nil {
		return nil, nil // a document that does not decode
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if hot := ix.hot[v.id]; hot != nil && !hot.loaded {
		*hot = hotRun{loaded: true, doc: doc}
	}
	return doc, nil
}

// callerTimeOr reads a caller-supplied timestamp the way the run read
// model does (RFC 3339 and its usual variants, UTC, to the second) as Unix
// seconds, or returns def when it does not parse.
func callerTimeOr(s string, def int64) int64 {
	s = strings.TrimSpace(s)
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix()
		}
	}
	return def
}

// unixSecondsOr reads a timestamp of the run read model as Unix seconds,
// or returns def when it does not parse.
func unixSecondsOr(s string, def int64) int64 { return callerTimeOr(s, def) }

// nameTable interns the few-valued names of the index's runs — worlds,
// strategies, stages, campaigns — as small ids. Id 0 is the empty name.
type nameTable struct {
	names []string
	ids   map[string]uint32
}

func newNameTable() nameTable {
	return nameTable{names: []string{""}, ids: map[string]uint32{"": 0}}
}

// id returns the id of name, adding a copy of it when it is new.
func (t *nameTable) id(name string) uint32 {
	if id, ok := t.ids[name]; ok {
		return id
	}
	name = strings.Clone(name) // not a view into some event's payload
	id := uint32(len(t.names))
	t.names = append(t.names, name)
	t.ids[name] = id
	return id
}

// get returns the name of id.
func (t *nameTable) get(id uint32) string { return t.names[id] }

// arenaChunk is the size of the arena's chunks.
const arenaChunk = 256 << 10

// arenaRef is a string in an arena.
type arenaRef struct {
	chunk, off, n uint32
}

// arena holds strings in large pointer-free chunks that are never moved or
// freed, so that a string of it costs the collector nothing.
type arena struct {
	chunks [][]byte
}

// put copies s into the arena.
func (a *arena) put(s string) arenaRef {
	last := len(a.chunks) - 1
	if last < 0 || cap(a.chunks[last])-len(a.chunks[last]) < len(s) {
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, len(s))))
		last++
	}
	c := a.chunks[last]
	ref := arenaRef{chunk: uint32(last), off: uint32(len(c)), n: uint32(len(s))}
	a.chunks[last] = append(c, s...)
	return ref
}

// get returns the string at ref, which shares the arena's memory (the
// arena never changes a byte it holds).
func (a *arena) get(ref arenaRef) string {
	if ref.n == 0 {
		return ""
	}
	return unsafe.String(&a.chunks[ref.chunk][ref.off], ref.n)
}
