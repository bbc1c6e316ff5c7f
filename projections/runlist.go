package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Page sizes of list queries.
const (
	// DefaultListLimit is the page size of a query without a limit.
	DefaultListLimit = 50
	// MaxListLimit is the largest page size; larger limits are lowered to
	// it.
	MaxListLimit = 500
)

// ListQuery selects and pages the runs of one world. Empty filters match
// everything; several filters must all match.
type ListQuery struct {
	// Strategy keeps the runs of one strategy.
	Strategy string
	// Stage keeps the runs of one stage (compared after trimming and
	// lower-casing, as the stage is recorded).
	Stage string
	// Status keeps the runs in one lifecycle status, [StatusEvaluating] or
	// [StatusEvaluated] — the run's own "status" field.
	Status string
	// Verdict keeps the evaluated runs whose summary.status is pass, warn or
	// fail.
	Verdict string
	// Limit is the page size: 0 means [DefaultListLimit]; values above
	// [MaxListLimit] are lowered to it.
	Limit int
	// Cursor continues a listing; pass the NextCursor of the previous page
	// with the same filters.
	Cursor string
}

// RunPage is one page of a run listing.
type RunPage struct {
	// Runs are in the order the service accepted their submissions
	// (ascending global position of EvaluationRunSubmitted), which is also
	// ascending created_at for runs submitted through the service clock.
	Runs []RunView `json:"runs"`
	// NextCursor continues the listing; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// normalize checks q and fills in its defaults.
func (q ListQuery) normalize() (ListQuery, error) {
	q.Stage = strings.ToLower(strings.TrimSpace(q.Stage))
	switch q.Status {
	case "", StatusEvaluating, StatusEvaluated:
	default:
		return q, fmt.Errorf("%w: status %q (want %s or %s)", ErrInvalidQuery, q.Status, StatusEvaluating, StatusEvaluated)
	}
	switch q.Verdict {
	case "", "pass", "warn", "fail":
	default:
		return q, fmt.Errorf("%w: verdict %q (want pass, warn or fail)", ErrInvalidQuery, q.Verdict)
	}
	switch {
	case q.Limit < 0:
		return q, fmt.Errorf("%w: negative limit %d", ErrInvalidQuery, q.Limit)
	case q.Limit == 0:
		q.Limit = DefaultListLimit
	case q.Limit > MaxListLimit:
		q.Limit = MaxListLimit
	}
	return q, nil
}

// matches reports whether v passes every filter of q.
func (q *ListQuery) matches(v *RunView) bool {
	return (q.Strategy == "" || v.StrategyID == q.Strategy) &&
		(q.Stage == "" || v.Stage == q.Stage) &&
		(q.Status == "" || v.Status == q.Status) &&
		(q.Verdict == "" || v.Summary.Status == q.Verdict)
}

// index returns the set a query scans: the narrowest one its filters name.
func (p *RunCurrent) index(world string, q *ListQuery) string {
	w := esc(world)
	switch {
	case q.Strategy != "":
		return key(p.name, "world", w, "strategy", esc(q.Strategy))
	case q.Verdict != "":
		return key(p.name, "world", w, "verdict", esc(q.Verdict))
	case q.Status != "":
		return key(p.name, "world", w, "status", esc(q.Status))
	case q.Stage != "":
		return key(p.name, "world", w, "stage", esc(q.Stage))
	}
	return key(p.name, "world", w)
}

// List returns one page of the runs of world that match q. Paging is stable
// under concurrent appends: runs are ordered by the position of their
// submission, which never changes, and a cursor resumes after the last run
// returned, so a run that matches throughout the listing appears exactly
// once, and runs submitted meanwhile appear on later pages. A run whose
// status changes during the listing appears at most once. An unknown world is
// an empty page, not an error. A bad filter wraps [ErrInvalidQuery]; a bad
// cursor wraps [ErrInvalidCursor]. As with [RunCurrent.Get], the views may
// share memory with the store: callers only read them.
func (p *RunCurrent) List(ctx context.Context, world string, q ListQuery) (RunPage, error) {
	q, err := q.normalize()
	if err != nil {
		return RunPage{}, err
	}
	resume, err := decodeCursor(q.Cursor)
	if err != nil {
		return RunPage{}, err
	}
	from := ""
	if resume != "" {
		from = after(resume)
	}
	set := p.index(world, &q)
	page := RunPage{Runs: make([]RunView, 0, q.Limit)}
	var last string // member of the last run on the page
	for {
		members, err := p.store.Range(ctx, set, from, q.Limit+1)
		if err != nil {
			return RunPage{}, fmt.Errorf("list runs of %q: %w", world, err)
		}
		for _, m := range members {
			_, stream, err := splitPositionMember(m)
			if err != nil {
				return RunPage{}, fmt.Errorf("list runs of %q: %w", world, err)
			}
			st, err := p.committed(ctx, stream)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return RunPage{}, fmt.Errorf("list runs of %q: %w", world, err)
			}
			// The index and the run are read at different instants:
			// filter on the run as loaded.
			if st.View.WorldID != world || !q.matches(&st.View) {
				continue
			}
			if len(page.Runs) == q.Limit {
				page.NextCursor = encodeCursor(last)
				return page, nil
			}
			page.Runs = append(page.Runs, st.View)
			last = m
		}
		if len(members) <= q.Limit {
			return page, nil
		}
		from = after(members[len(members)-1])
	}
}
