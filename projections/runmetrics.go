package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/worldval/worldval/internal/jsonfast"
)

// Page sizes of [RunCurrent.ListMetrics]: larger than a run listing's,
// because a policy diff reads a world's whole history.
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

// MetricsPage is one page of [RunCurrent.ListMetrics].
type MetricsPage struct {
	// Runs are in submission order.
	Runs []StoredMetrics `json:"runs"`
	// NextCursor continues the listing; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// RawMetricsPage is one page of [RunCurrent.ListMetricsRaw].
type RawMetricsPage struct {
	// Runs are the JSON encodings of [StoredMetrics], in submission order.
	Runs []json.RawMessage
	// NextCursor continues the listing; empty on the last page.
	NextCursor string
}

// ListMetrics returns one page of the evaluated runs of world at stage
// (compared after trimming and lower-casing, as stages are recorded), in
// submission order, each with just what a policy diff over history reads:
// identity, timestamps and metrics. limit 0 means [DefaultMetricsListLimit];
// cursor continues a listing (a bad one wraps [ErrInvalidCursor]). Paging is
// stable under concurrent appends, as [RunCurrent.List] is. An unknown world
// or stage is an empty page.
func (p *RunCurrent) ListMetrics(ctx context.Context, world, stage, cursor string, limit int) (MetricsPage, error) {
	raw, err := p.ListMetricsRaw(ctx, world, stage, cursor, limit)
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

// ListMetricsRaw is [RunCurrent.ListMetrics] with each run as its JSON, so
// that a server can write a page without decoding and encoding the runs
// again. Each entry is written straight from the committed run, without
// reflection: its bytes are those json.Marshal gives for the
// [StoredMetrics].
func (p *RunCurrent) ListMetricsRaw(ctx context.Context, world, stage, cursor string, limit int) (RawMetricsPage, error) {
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
	stage = strings.ToLower(strings.TrimSpace(stage))
	members, err := p.store.Range(ctx, p.evaluatedIndex(world, stage), from, limit+1)
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
		st, err := p.committed(ctx, stream)
		if errors.Is(err, ErrNotFound) {
			continue // removed between the range and the read
		}
		if err != nil {
			return RawMetricsPage{}, fmt.Errorf("run metrics of %q: %w", world, err)
		}
		// The index and the run are read at different instants: list the
		// run as read.
		if v := &st.View; v.WorldID != world || v.Stage != stage || v.Status != StatusEvaluated {
			continue
		}
		line, err := appendStoredMetrics(nil, &st.View)
		if err != nil {
			return RawMetricsPage{}, fmt.Errorf("run metrics of %s: %w", stream, err)
		}
		page.Runs = append(page.Runs, line)
	}
	return page, nil
}

// appendStoredMetrics appends the JSON of v's [StoredMetrics] as json.Marshal
// writes it.
func appendStoredMetrics(dst []byte, v *RunView) ([]byte, error) {
	dst = append(dst, `{"strategy_id":`...)
	dst = jsonfast.AppendString(dst, v.StrategyID, true)
	dst = append(dst, `,"run_id":`...)
	dst = jsonfast.AppendString(dst, v.RunID, true)
	dst = append(dst, `,"created_at":`...)
	dst = jsonfast.AppendString(dst, v.CreatedAt, true)
	dst = append(dst, `,"updated_at":`...)
	dst = jsonfast.AppendString(dst, v.UpdatedAt, true)
	dst = append(dst, `,"metrics":`...)
	// The folds write compact documents; anything else (a document with
	// characters json.Marshal escapes, or not valid) is left to it.
	if end, f, ok := jsonfast.Value(v.Metrics, 0, jsonfast.MaxDepth); ok && end == len(v.Metrics) && f.Compact(true) {
		dst = append(dst, v.Metrics...)
	} else {
		b, err := json.Marshal(v.Metrics)
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		dst = append(dst, b...)
	}
	return append(dst, '}'), nil
}
