package handlers

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/internal/genmap"
	"github.com/worldval/worldval/validation/extended"
)

// runEntry is a run the extended handler keeps folded between passes.
type runEntry struct {
	// run is the aggregate state; run.Version is the stream version it
	// reflects.
	run *evaluationrun.Run
	// current is the run's metrics document with every extended patch
	// applied; nil until first needed.
	current map[string]any
	// base is the run's evaluated metrics document, decoded; nil until
	// first needed. It never changes once the run is evaluated.
	base map[string]any
}

// baseMetrics returns the run's evaluated metrics document (shared:
// callers must not modify it).
func (e *runEntry) baseMetrics() (map[string]any, error) {
	if e.base != nil {
		return e.base, nil
	}
	doc, err := extended.DecodeObject(e.run.Metrics)
	if err != nil {
		return nil, err
	}
	e.base = doc
	return doc, nil
}

// currentMetrics returns the run's current metrics document.
func (e *runEntry) currentMetrics() (map[string]any, error) {
	if e.current != nil {
		return e.current, nil
	}
	doc, err := currentMetricsOf(e.run)
	if err != nil {
		return nil, err
	}
	e.current = doc
	return doc, nil
}

// currentMetricsOf decodes a folded run's current metrics document: its
// evaluated metrics with every extended patch applied.
func currentMetricsOf(run *evaluationrun.Run) (map[string]any, error) {
	doc, err := extended.DecodeObject(run.Metrics)
	if err != nil {
		return nil, err
	}
	for _, raw := range run.ExtendedPatches {
		patch, err := extended.DecodeObject(raw)
		if err != nil {
			return nil, err
		}
		doc = extended.ApplyPatch(doc, patch)
	}
	return doc, nil
}

// runCache keeps the runs the handler has recorded on, folded, so that a
// pass neither reloads their streams nor refolds their patches: a run is
// loaded once, then kept current from the events the handler's
// subscription delivers and from its own appends, which it checks with the
// stream version it expects. An entry that falls out of step is dropped and
// loaded again. It is safe for concurrent use; one entry is used by one
// goroutine at a time.
//
// It keeps the runs used lately, not every run: a run is a target of the
// passes of its own triggers, soon after it is submitted, and later only
// when it is its strategy's latest at a world-wide pass. Each entry is some
// ten objects for the collector to trace, so a cache of every run the
// process has seen would make each collection's mark phase longer the
// longer the process runs.
type runCache struct {
	repo *aggregates.Repository
	mu   sync.Mutex
	runs *genmap.Map[string, *runEntry]
}

// runCacheGeneration is how many runs each of the cache's two generations
// holds: a run stays while fewer than that many other runs were used since
// it was. It is well above the runs in flight between a submission and its
// pass (at most a few hundred at 1,000 submissions/s) and above the latest
// runs a world-wide pass loads in a world of a thousand or two strategies;
// past that, a run is loaded again from its stream.
const runCacheGeneration = 2048

func newRunCache(repo *aggregates.Repository) *runCache {
	return &runCache{repo: repo, runs: genmap.New[string, *runEntry](runCacheGeneration)}
}

// get returns the entry of a run stream, loading it when the cache does
// not hold it.
func (c *runCache) get(ctx context.Context, stream string) (*runEntry, error) {
	c.mu.Lock()
	e, _ := c.runs.Get(stream)
	c.mu.Unlock()
	if e != nil {
		return e, nil
	}
	snap, err := aggregates.Load[evaluationrun.Run](ctx, c.repo, stream)
	if err != nil {
		return nil, err
	}
	e = &runEntry{run: snap.State}
	e.trim()
	if snap.State.Exists() {
		c.mu.Lock()
		c.runs.Put(stream, e)
		c.mu.Unlock()
	}
	return e, nil
}

// drop forgets a run.
func (c *runCache) drop(stream string) {
	c.mu.Lock()
	c.runs.Delete(stream)
	c.mu.Unlock()
}

// observe folds a delivered event into its run's entry: the next event of
// the stream is applied, one already reflected is ignored, and a gap drops
// the entry. The first event of a stream starts an entry, so a run
// submitted while the handler runs is never read back from the store;
// other runs the cache does not hold are ignored.
func (c *runCache) observe(reg *events.Registry, rec *events.Record) error {
	if !strings.HasPrefix(rec.Stream, events.CategoryEvaluationRun+"/") {
		return nil
	}
	c.mu.Lock()
	e, _ := c.runs.Get(rec.Stream)
	if e == nil && rec.StreamVersion == 1 {
		e = &runEntry{run: &evaluationrun.Run{}}
		c.runs.Put(rec.Stream, e)
	}
	c.mu.Unlock()
	if e == nil || rec.StreamVersion <= e.run.Version {
		return nil
	}
	if rec.StreamVersion != e.run.Version+1 {
		c.drop(rec.Stream)
		return nil
	}
	payload, err := reg.Decode(&rec.Event)
	if err != nil {
		return fmt.Errorf("run cache: %w", err)
	}
	if err := e.run.Apply(rec, payload); err != nil {
		c.drop(rec.Stream)
		return nil
	}
	if _, ok := payload.(*events.MetricsComputed); ok {
		e.base, e.current = nil, nil
	}
	if p, ok := payload.(*events.ExtendedValidationCompleted); ok && e.current != nil && len(p.MetricsPatch) > 0 {
		patch, err := extended.DecodeObject(p.MetricsPatch)
		if err != nil {
			c.drop(rec.Stream)
			return nil
		}
		e.current = extended.ApplyPatch(e.current, patch)
	}
	e.trim()
	return nil
}

// trim drops from the folded run what the handler never reads once it is
// folded: the patches current already reflects (the run keeps every patch
// of its history, one per pass), and the submission's series and metrics,
// the core rule results, the recorded results and the verdict's health and
// policy snapshot. Those were most of what a cached run held — at 1,000
// submissions/s, the series alone (252 returns, a pointer per return for the
// collector to trace) grew the heap by 4 MB a second — while the handler
// reads the run's identity, stage, status, metrics, derivations, versions
// and revision, its verdict's activity, and the keys of what was recorded
// (which the run's decisions use to refuse a retry).
func (e *runEntry) trim() {
	if e.current != nil {
		e.run.ExtendedPatches = nil
	}
	r := e.run
	r.Request.Returns, r.Request.Metrics, r.Request.Params = nil, nil, nil
	r.Rules = nil
	r.ExtendedResults = nil
	r.Verdict.ValidationHealth, r.Verdict.PolicySnapshot, r.Verdict.ActiveSet = nil, nil, nil
}
