package main

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// latencies collects durations and reports their percentiles. It is safe
// for concurrent use.
type latencies struct {
	mu sync.Mutex
	ds []time.Duration
}

// add records one duration.
func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.ds = append(l.ds, d)
	l.mu.Unlock()
}

// summary is the percentiles of a set of durations.
type summary struct {
	N                        int
	P50, P95, P99, P999, Max time.Duration
}

// summarize returns the percentiles of what was recorded so far
// (nearest-rank: the p-th percentile is the smallest value with at least p%
// of the values at or below it).
func (l *latencies) summarize() summary {
	l.mu.Lock()
	ds := slices.Clone(l.ds)
	l.mu.Unlock()
	if len(ds) == 0 {
		return summary{}
	}
	slices.Sort(ds)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(ds))+0.999999) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	return summary{N: len(ds), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), P999: rank(0.999), Max: ds[len(ds)-1]}
}

// String renders the summary as "p50 … p95 … p99 … p99.9 … max …".
func (s summary) String() string {
	if s.N == 0 {
		return "(none)"
	}
	r := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("p50 %7s  p95 %7s  p99 %7s  p99.9 %7s  max %7s", r(s.P50), r(s.P95), r(s.P99), r(s.P999), r(s.Max))
}

// verdictWatch times submissions to the moment their verdict is visible in
// the run read model, which the service tells it through
// [processor.WithAppliedHook]. It is safe for concurrent use.
type verdictWatch struct {
	mu sync.Mutex
	// sent maps a run's stream to the instant its submission was due.
	sent map[string]time.Time
	// visible records due → verdict visible.
	visible latencies
	// seen counts verdicts made visible.
	seen int
	// points keeps each verdict's due and visible instants, when the
	// watch was made to keep a timeline.
	points   []verdictPoint
	timeline bool
}

// verdictPoint is one verdict of a timeline: when its submission was due and
// when the verdict became visible.
type verdictPoint struct {
	due, visible time.Time
}

// newVerdictWatch returns a watch; with timeline set it also keeps every
// verdict's instants (see verdictPoints).
func newVerdictWatch(timeline bool) *verdictWatch {
	return &verdictWatch{sent: make(map[string]time.Time), timeline: timeline}
}

// expect registers a run's stream and the instant its submission was due,
// before the submission is sent (the verdict may be visible before the
// submission's answer arrives).
func (w *verdictWatch) expect(stream string, due time.Time) {
	w.mu.Lock()
	w.sent[stream] = due
	w.mu.Unlock()
}

// forget drops a run whose submission failed.
func (w *verdictWatch) forget(stream string) {
	w.mu.Lock()
	delete(w.sent, stream)
	w.mu.Unlock()
}

// applied is the service's hook: it records the latency of each verdict the
// run read model applies.
func (w *verdictWatch) applied(projection string, rec *events.Record) {
	if projection != projections.RunCurrentName || rec.Type != events.TypeEvaluationCompleted {
		return
	}
	now := time.Now()
	w.mu.Lock()
	due, ok := w.sent[rec.Stream]
	if ok {
		delete(w.sent, rec.Stream)
		w.seen++
		if w.timeline {
			w.points = append(w.points, verdictPoint{due: due, visible: now})
		}
	}
	w.mu.Unlock()
	if ok {
		w.visible.add(now.Sub(due))
	}
}

// counts returns the verdicts seen and those still awaited.
func (w *verdictWatch) counts() (seen, pending int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen, len(w.sent)
}

// verdictPoints returns the timeline kept so far, in the order the verdicts
// became visible.
func (w *verdictWatch) verdictPoints() []verdictPoint {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.points)
}
