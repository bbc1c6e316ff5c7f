package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/worldval/worldval/events"
)

// RunMetricsName is the stable name of the [RunMetrics] projection.
const RunMetricsName = "run_metrics"

// Page sizes of [RunMetrics.List]: larger than a run listing's, because a
// policy diff reads a world's whole history.
const (
	// DefaultMetricsListLimit is the page size of a query without a limit.
	DefaultMetricsListLimit = 1000
	// MaxMetricsListLimit is the largest page size; larger limits are
	// lowered to it.
	MaxMetricsListLimit = 10000
)

// StoredMetrics is an evaluated run as a policy diff over history reads it
// (validation-core §11.1, §11.6): its identity, timestamps and the metrics
// document its verdict was reached on (with the validation health and
// extended-layer patches merged in, as in the run view).
type StoredMetrics struct {
	StrategyID string `json:"strategy_id"`
	RunID      string `json:"run_id"`
	// CreatedAt and UpdatedAt are the run view's timestamps (UTC, seconds,
	// "Z").
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	// Metrics is the run's metrics document.
	Metrics json.RawMessage `json:"metrics"`
}

// MetricsPage is one page of [RunMetrics.List].
type MetricsPage struct {
	// Runs are in submission order.
	Runs []StoredMetrics `json:"runs"`
	// NextCursor continues the listing; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// RunMetrics keeps, per world and stage, the evaluated runs with just what a
// policy diff over history needs: identity, timestamps and metrics, folded by
// the same code as [RunCurrent] and trimmed of results, summary and extended
// history, so that reading a whole world costs little more than copying its
// metrics. Create it with [NewRunMetrics]. Queries are safe for concurrent
// use with one writer.
type RunMetrics struct {
	engine
}

var _ Projection = (*RunMetrics)(nil)

// NewRunMetrics returns the run-metrics projection over store, decoding
// events with reg. It refuses nil dependencies.
func NewRunMetrics(store Store, reg *events.Registry) (*RunMetrics, error) {
	p := &RunMetrics{}
	e, err := newEngine(RunMetricsName, store, reg, p)
	if err != nil {
		return nil, err
	}
	p.engine = e
	return p, nil
}

func (p *RunMetrics) handles(t string) bool { return runEventTypes[t] }

func (p *RunMetrics) fold(ctx context.Context, t *tx, rec *events.Record, payload any) error {
	k := key(p.name, "run", rec.Stream)
	st, found, err := get[runState](ctx, t, k)
	if err != nil {
		return err
	}
	if !found {
		st = &runState{}
	}
	before := p.membership(st, rec.Stream)
	if _, err := foldRun(st, rec, payload); err != nil {
		return err
	}
	trimForMetrics(&st.View)
	if v := &st.View; v.Status == StatusEvaluated {
		// The listing's entry, encoded once here rather than at every read.
		line, err := json.Marshal(StoredMetrics{StrategyID: v.StrategyID, RunID: v.RunID, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Metrics: v.Metrics})
		if err != nil {
			return fmt.Errorf("run metrics of %s: %w", rec.Stream, err)
		}
		t.put(p.lineKey(rec.Stream), json.RawMessage(line))
	}
	after := p.membership(st, rec.Stream)
	if before != after {
		if before[0] != "" {
			t.remove(before[0], before[1])
		}
		if after[0] != "" {
			t.add(after[0], after[1])
		}
	}
	t.put(k, st)
	return nil
}

// trimForMetrics drops what folding does not need to carry forward and a
// diff does not read: results, policy reference, summary, extended history.
// The extended revision stays, since the next merge numbers itself from it.
func trimForMetrics(v *RunView) {
	v.Validation = Validation{ExtendedRevision: v.Validation.ExtendedRevision}
	v.Summary = Summary{}
}

// membership returns the index set and member of an evaluated run: the
// runs of its world and stage in submission order; zero before the verdict.
func (p *RunMetrics) membership(st *runState, stream string) [2]string {
	v := &st.View
	if v.RunID == "" || v.Status != StatusEvaluated {
		return [2]string{}
	}
	return [2]string{p.index(v.WorldID, v.Stage), positionMember(st.Position, stream)}
}

func (p *RunMetrics) index(world, stage string) string {
	return key(p.name, "world", esc(world), "stage", esc(stage))
}

func (p *RunMetrics) lineKey(stream string) string { return key(p.name, "line", stream) }

// RawMetricsPage is one page of [RunMetrics.ListRaw].
type RawMetricsPage struct {
	// Runs are the JSON encodings of [StoredMetrics], in submission order.
	Runs []json.RawMessage
	// NextCursor continues the listing; empty on the last page.
	NextCursor string
}

// List returns one page of the evaluated runs of world at stage (compared
// after trimming and lower-casing, as stages are recorded), in submission
// order. limit 0 means [DefaultMetricsListLimit]; cursor continues a
// listing (a bad one wraps [ErrInvalidCursor]). Paging is stable under
// concurrent appends, as [RunCurrent.List] is. An unknown world or stage is
// an empty page.
func (p *RunMetrics) List(ctx context.Context, world, stage, cursor string, limit int) (MetricsPage, error) {
	raw, err := p.ListRaw(ctx, world, stage, cursor, limit)
	if err != nil {
		return MetricsPage{}, err
	}
	page := MetricsPage{Runs: make([]StoredMetrics, len(raw.Runs)), NextCursor: raw.NextCursor}
	for i, r := range raw.Runs {
		if err := json.Unmarshal(r, &page.Runs[i]); err != nil {
			return MetricsPage{}, fmt.Errorf("run metrics of %q: decode: %w", world, err)
		}
	}
	return page, nil
}

// ListRaw is [RunMetrics.List] with each run as the JSON the projection
// stores, so that a server can write a page without decoding or encoding
// the runs. The slices are shared with the store and must not be modified.
func (p *RunMetrics) ListRaw(ctx context.Context, world, stage, cursor string, limit int) (RawMetricsPage, error) {
	switch {
	case limit < 0:
		return RawMetricsPage{}, fmt.Errorf("%w: negative limit %d", ErrInvalidQuery, limit)
	case limit == 0:
		limit = DefaultMetricsListLimit
	case limit > MaxMetricsListLimit:
		limit = MaxMetricsListLimit
	}
	resume, err := decodeCursor(cursor)
	if err != nil {
		return RawMetricsPage{}, err
	}
	from := ""
	if resume != "" {
		from = after(resume)
	}
	set := p.index(world, strings.ToLower(strings.TrimSpace(stage)))
	members, err := p.store.Range(ctx, set, from, limit+1)
	if err != nil {
		return RawMetricsPage{}, fmt.Errorf("run metrics of %q: %w", world, err)
	}
	page := RawMetricsPage{Runs: make([]json.RawMessage, 0, min(limit, len(members)))}
	for i, m := range members {
		if i == limit {
			page.NextCursor = encodeCursor(members[i-1])
			break
		}
		_, stream, err := splitPositionMember(m)
		if err != nil {
			return RawMetricsPage{}, fmt.Errorf("run metrics of %q: %w", world, err)
		}
		line, err := p.store.Get(ctx, p.lineKey(stream))
		if errors.Is(err, ErrNotFound) {
			continue // removed between the range and the read
		}
		if err != nil {
			return RawMetricsPage{}, fmt.Errorf("run metrics of %s: %w", stream, err)
		}
		page.Runs = append(page.Runs, line)
	}
	return page, nil
}
