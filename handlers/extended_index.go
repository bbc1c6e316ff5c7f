package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/extended"
)

// runView is what the extended handler knows of one run for cohorts,
// targets and the fallback baseline: the fields of the run read model it
// uses, and the run's current metrics.
type runView struct {
	StrategyID, RunID, Stage, CampaignID string
	// CreatedAt and UpdatedAt are the run record's timestamps (UTC,
	// seconds, "Z"), which order a strategy's runs (D15).
	CreatedAt, UpdatedAt string
	// Active is the verdict's summary.active.
	Active bool
	info   *runInfo
}

// runInfo is one run of the world index.
type runInfo struct {
	stream    string
	view      runView
	seq       uint64 // the order the index first saw the run in
	latestIn  int    // how many slots the run is the latest of
	evaluated bool
	metrics   json.RawMessage   // the metrics document before pending
	pending   []json.RawMessage // patches not yet applied
	doc       map[string]any    // decoded current metrics, nil until asked
}

// worldIndex keeps the runs of each world the extended handler has passed
// over: seeded once per world from a [RunSource] (the run read model), then
// kept current from the events the handler's subscription delivers, so that
// a pass does not list and decode every run record again. Events already
// reflected by the seed are applied again harmlessly (their effects are
// idempotent: merge patches, timestamps, statuses), and the index converges
// as the subscription catches up. It is safe for concurrent use.
type worldIndex struct {
	source RunSource
	repo   *aggregates.Repository
	reg    *events.Registry

	mu     sync.Mutex
	worlds map[string]map[string]*runInfo // world → stream → run
	// lastWhen is the timestamp of the last event observed, which the
	// next events mostly share.
	lastWhen string
	order    map[string][]*runInfo  // world → runs in the order first seen
	slots    map[string]*worldSlots // world → its runs by cohort slot
	seq      uint64
}

// slotKey names the runs of one strategy that compete to be its member of
// one cohort (D15): those of a stage, or those of a campaign (any stage).
type slotKey struct {
	stage, campaign, strategy string
}

// slot is the evaluated runs of one slotKey and the latest of them, which
// is recomputed when one of them changes.
type slot struct {
	runs   []*runInfo // in the order first seen
	latest *runInfo
	dirty  bool
}

// worldSlots keeps a world's evaluated runs by slot, so that what a run
// trigger's pass needs — the latest run per strategy of each stage and
// campaign — costs the number of slots, not the number of runs the world
// ever evaluated.
type worldSlots struct {
	byKey map[slotKey]*slot
	dirty []*slot
}

func newWorldIndex(source RunSource, repo *aggregates.Repository) *worldIndex {
	return &worldIndex{source: source, repo: repo, reg: repo.Registry(), worlds: map[string]map[string]*runInfo{},
		order: map[string][]*runInfo{}, slots: map[string]*worldSlots{}}
}

// add records a new run of world; ix.mu is held.
func (ix *worldIndex) add(world string, r *runInfo) {
	ix.seq++
	r.seq = ix.seq
	ix.worlds[world][r.stream] = r
	ix.order[world] = append(ix.order[world], r)
	if r.evaluated {
		ix.changed(world, r)
	}
}

// changed notes that r was evaluated, or that its timestamps moved, so that
// the latest run of its slots is recomputed; ix.mu is held. A run joins its
// slots when it is first evaluated.
func (ix *worldIndex) changed(world string, r *runInfo) {
	if !r.evaluated {
		return
	}
	ws := ix.slots[world]
	if ws == nil {
		ws = &worldSlots{byKey: map[slotKey]*slot{}}
		ix.slots[world] = ws
	}
	keys := []slotKey{{stage: r.view.Stage, strategy: r.view.StrategyID}}
	if r.view.CampaignID != "" {
		keys = append(keys, slotKey{campaign: r.view.CampaignID, strategy: r.view.StrategyID})
	}
	for _, k := range keys {
		sl := ws.byKey[k]
		if sl == nil {
			sl = &slot{}
			ws.byKey[k] = sl
		}
		// In the order first seen, as latestPerStrategy meets them: on a
		// tie of timestamps the later submission wins.
		i, found := slices.BinarySearchFunc(sl.runs, r.seq, func(x *runInfo, seq uint64) int { return cmp.Compare(x.seq, seq) })
		if !found {
			sl.runs = slices.Insert(sl.runs, i, r)
		}
		if !sl.dirty {
			sl.dirty = true
			ws.dirty = append(ws.dirty, sl)
		}
	}
}

// current returns, in the order the index first saw them, the runs of world
// that are the latest of some slot: the latest evaluated run of each
// strategy in each stage and in each campaign. Every cohort (D15), the
// strategies known to the world and the latest run of each strategy are the
// same over these runs as over all the world's evaluated runs, which is
// what a run trigger's pass needs ([worldIndex.evaluated] lists them all,
// for the world-wide passes that also look at older runs).
func (ix *worldIndex) current(ctx context.Context, world string) ([]runView, error) {
	if err := ix.seed(ctx, world); err != nil {
		return nil, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ws := ix.slots[world]
	if ws == nil {
		return nil, nil
	}
	for _, sl := range ws.dirty {
		was := sl.latest
		sl.latest, sl.dirty = nil, false
		for _, r := range sl.runs {
			if sl.latest == nil || later(&r.view, &sl.latest.view) {
				sl.latest = r
			}
		}
		if sl.latest != was {
			sl.latest.latestIn++
			if was != nil {
				if was.latestIn--; was.latestIn == 0 {
					was.shrink()
				}
			}
		}
	}
	ws.dirty = ws.dirty[:0]
	seen := make(map[*runInfo]bool, len(ws.byKey))
	latest := make([]*runInfo, 0, len(ws.byKey))
	for _, sl := range ws.byKey {
		if r := sl.latest; r != nil && !seen[r] {
			seen[r] = true
			latest = append(latest, r)
		}
	}
	slices.SortFunc(latest, func(a, b *runInfo) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]runView, len(latest))
	for i, r := range latest {
		out[i] = r.view
	}
	return out, nil
}

// viewOf returns the index's view of the evaluated run on stream.
func (ix *worldIndex) viewOf(world, stream string) (runView, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	r := ix.worlds[world][stream]
	if r == nil || !r.evaluated {
		return runView{}, false
	}
	return r.view, true
}

// evaluated returns the evaluated runs of world in the order the index
// first saw them (submission order for the seed), seeding the world first.
// Their metrics are decoded on demand by [runView.metrics].
func (ix *worldIndex) evaluated(ctx context.Context, world string) ([]runView, error) {
	if err := ix.seed(ctx, world); err != nil {
		return nil, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	out := make([]runView, 0, len(ix.order[world]))
	for _, r := range ix.order[world] {
		if r.evaluated {
			out = append(out, r.view)
		}
	}
	return out, nil
}

// seed reads a world's evaluated runs from the source once.
func (ix *worldIndex) seed(ctx context.Context, world string) error {
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
	ix.worlds[world] = map[string]*runInfo{}
	for i := range views {
		v := &views[i]
		stream, err := events.RunStream(world, v.StrategyID, v.RunID)
		if err != nil {
			continue
		}
		r := &runInfo{stream: stream, evaluated: true, metrics: v.Metrics}
		r.view = runView{StrategyID: v.StrategyID, RunID: v.RunID, Stage: v.Stage, CampaignID: v.Summary.CampaignID,
			CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Active: v.Summary.Active != nil && *v.Summary.Active, info: r}
		ix.add(world, r)
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
	when := secondsZ(rec.OccurredAt)
	if rec.OccurredAt.IsZero() {
		when = secondsZ(rec.RecordedAt)
	}
	ix.mu.Lock()
	runs, seeded := ix.worlds[world]
	r := runs[rec.Stream]
	// The runs of one second share its string.
	when = sameString(when, ix.lastWhen)
	ix.lastWhen = when
	ix.mu.Unlock()
	if !seeded {
		return nil
	}
	if r == nil {
		switch rec.Type {
		case events.TypeEvaluationRunSubmitted:
			p, err := events.DecodeAs[events.EvaluationRunSubmitted](ix.reg, &rec.Event)
			if err != nil {
				return err
			}
			r = &runInfo{stream: rec.Stream, metrics: p.Metrics}
			r.view = runView{StrategyID: p.StrategyID, RunID: tailOf(rec.Stream, p.RunID), Stage: p.Stage, CampaignID: p.CampaignID, CreatedAt: when, UpdatedAt: when, info: r}
		case events.TypeEvaluationCompleted:
			snap, err := aggregates.Load[evaluationrun.Run](ctx, ix.repo, rec.Stream)
			if err != nil {
				return err
			}
			req := &snap.State.Request
			r = &runInfo{stream: rec.Stream, metrics: snap.State.Metrics}
			r.view = runView{StrategyID: req.StrategyID, RunID: req.RunID, Stage: req.Stage, CampaignID: req.CampaignID, CreatedAt: secondsZ(snap.State.SubmittedAt), info: r}
		default:
			return nil
		}
		ix.mu.Lock()
		ix.add(world, r)
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
	defer ix.changed(world, r)
	updated := r.view.UpdatedAt
	switch p := payload.(type) {
	case *events.MetricsComputed:
		r.metrics, r.pending, r.doc = p.Metrics, nil, nil
		updated = when
	case *events.RuleEvaluated:
		updated = when
	case *events.EvaluationCompleted:
		r.evaluated, r.view.Active, updated = true, p.Active, when
	case *events.ExtendedValidationCompleted:
		if len(p.MetricsPatch) > 0 {
			r.pending = append(r.pending, p.MetricsPatch)
		}
		updated = when
	case *events.OverrideRecorded:
		updated = callerTimeOr(p.Timestamp, when)
	case *events.ExPostFailureRecorded:
		updated = callerTimeOr(p.RecordedAt, when)
	}
	r.view.UpdatedAt = sameString(updated, r.view.UpdatedAt, r.view.CreatedAt)
	return nil
}

// tailOf returns id as the end of stream when the stream name ends with
// "/" and id, so that a run's id and stream name, which the index keeps for
// every run, are one string; else id.
func tailOf(stream, id string) string {
	if len(stream) > len(id) && strings.HasSuffix(stream, id) && stream[len(stream)-len(id)-1] == '/' {
		return stream[len(stream)-len(id):]
	}
	return id
}

// sameString returns the first of have that equals s, else s: the index
// keeps every run, and a run's timestamps mostly fall in the same second,
// so they share one string rather than each hold a copy.
func sameString(s string, have ...string) string {
	for _, h := range have {
		if h == s {
			return h
		}
	}
	return s
}

// shrink drops the decoded metrics of a run that is no longer the latest
// of any slot, so that the index holds decoded documents for the cohorts'
// members only, not for every run the world evaluated: the document goes
// back to its encoded form (with the patches applied so far), which
// [runView.metrics] decodes again if the run comes back (an override moves
// it to the front). ix.mu is held.
func (r *runInfo) shrink() {
	if r.doc == nil {
		return
	}
	b, err := json.Marshal(r.doc)
	if err != nil {
		return // keep the decoded form rather than lose the patches
	}
	r.metrics, r.doc = b, nil
}

// metrics returns the run's current metrics document (shared: callers
// must not modify it), nil when it does not decode.
func (v runView) metrics(ix *worldIndex) map[string]any {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	r := v.info
	if r.doc == nil {
		doc, err := extended.DecodeObject(r.metrics)
		if err != nil {
			return nil
		}
		r.doc = doc
	}
	for _, raw := range r.pending {
		if patch, err := extended.DecodeObject(raw); err == nil {
			r.doc = extended.ApplyPatch(r.doc, patch)
		}
	}
	r.pending = nil
	return r.doc
}

// callerTimeOr normalizes a caller-supplied timestamp the way the run
// read model does (RFC 3339 and its usual variants, UTC, seconds), or
// returns def when it does not parse.
func callerTimeOr(s, def string) string {
	s = strings.TrimSpace(s)
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return secondsZ(t.Truncate(time.Second))
		}
	}
	return def
}
