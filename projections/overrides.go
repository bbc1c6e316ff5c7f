package projections

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/worldval/worldval/events"
)

// ApprovedOverridesName is the stable name of the [ApprovedOverrides]
// projection.
const ApprovedOverridesName = "approved_overrides"

// ApprovedOverride is a run whose latest override is approved, with its
// re-review due date (validation-core §10.1, §10.5).
type ApprovedOverride struct {
	// WorldID, StrategyID and RunID identify the run.
	WorldID    string `json:"world_id"`
	StrategyID string `json:"strategy_id"` // See WorldID.
	RunID      string `json:"run_id"`      // See WorldID.
	// Stage is the run's stage, which sets the review window.
	Stage string `json:"stage"`
	// OverrideReason, OverrideActor and OverrideTimestamp are as recorded,
	// null when blank (and then listed in MissingFields).
	OverrideReason    *string `json:"override_reason"`
	OverrideActor     *string `json:"override_actor"`     // See OverrideReason.
	OverrideTimestamp *string `json:"override_timestamp"` // See OverrideReason.
	// ReviewWindowDays is the whole number of days between the override
	// timestamp and the review due date, null when either is unknown.
	ReviewWindowDays *int `json:"review_window_days"`
	// ReviewDueAt is the review_due of the override event (UTC, seconds,
	// "Z"), null when it was absent or did not parse.
	ReviewDueAt *string `json:"review_due_at"`
	// MissingFields lists, in this order, those of override_reason,
	// override_actor and override_timestamp that are empty.
	MissingFields []string `json:"missing_fields"`
}

// Overdue reports whether the review is due before now (review_overdue of
// §10.5). An override without a due date is never overdue.
func (o *ApprovedOverride) Overdue(now time.Time) bool {
	if o.ReviewDueAt == nil {
		return false
	}
	due, ok := parseCallerTime(*o.ReviewDueAt)
	return ok && now.After(due)
}

// OverrideQuery selects and pages approved overrides.
type OverrideQuery struct {
	// DueBefore keeps overrides whose review is due at or before it, and
	// those without a due date; the zero time keeps all.
	DueBefore time.Time
	// Limit is the page size: 0 means [DefaultListLimit]; values above
	// [MaxListLimit] are lowered to it.
	Limit int
	// Cursor continues a listing; pass the NextCursor of the previous page.
	Cursor string
}

// OverridePage is one page of approved overrides, ordered by review due date
// (those without one first, since nobody knows when they are due), then by
// run.
type OverridePage struct {
	// Overrides are the page's entries.
	Overrides []ApprovedOverride `json:"overrides"`
	// NextCursor continues the listing; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// overrideRun is what the projection keeps per run.
type overrideRun struct {
	WorldID    string            `json:"world_id"`
	StrategyID string            `json:"strategy_id"`
	RunID      string            `json:"run_id"`
	Stage      string            `json:"stage"`
	Approved   *ApprovedOverride `json:"approved,omitempty"`
}

// clone returns a shallow copy of r (see [cloner]): a fold changes a run
// only by assigning Approved, a new entry built whole by approved.
func (r *overrideRun) clone() *overrideRun {
	c := *r
	return &c
}

// ApprovedOverrides lists the runs whose latest override is approved, per
// world and across worlds, ordered by review due date: the input of the
// re-review report (Invariant 3). Create it with [NewApprovedOverrides].
// Queries are safe for concurrent use with one writer.
type ApprovedOverrides struct {
	engine
}

var _ Projection = (*ApprovedOverrides)(nil)

// NewApprovedOverrides returns the override projection over store, decoding
// events with reg. It refuses nil dependencies.
func NewApprovedOverrides(store Store, reg *events.Registry) (*ApprovedOverrides, error) {
	p := &ApprovedOverrides{}
	e, err := newEngine(ApprovedOverridesName, store, reg, p)
	if err != nil {
		return nil, err
	}
	p.engine = e
	return p, nil
}

func (p *ApprovedOverrides) handles(t string) bool {
	return t == events.TypeEvaluationRunSubmitted || t == events.TypeOverrideRecorded
}

func (p *ApprovedOverrides) fold(ctx context.Context, t *tx, rec *events.Record, payload any) error {
	k := key(p.name, "run", rec.Stream)
	run, found, err := get[overrideRun](ctx, t, k)
	if err != nil {
		return err
	}
	switch e := payload.(type) {
	case *events.EvaluationRunSubmitted:
		if found {
			return fmt.Errorf("evaluation run %s submitted twice", e.RunID)
		}
		t.put(k, &overrideRun{WorldID: e.WorldID, StrategyID: e.StrategyID, RunID: e.RunID, Stage: e.Stage})
	case *events.OverrideRecorded:
		if !found {
			return errNotSubmitted
		}
		if run.Approved != nil {
			for _, set := range p.sets(run.WorldID) {
				t.remove(set, dueMember(run.Approved, rec.Stream))
			}
		}
		run.Approved = nil
		if strings.EqualFold(strings.TrimSpace(e.Status), "approved") {
			run.Approved = approved(run, e, rec)
			for _, set := range p.sets(run.WorldID) {
				t.add(set, dueMember(run.Approved, rec.Stream))
			}
		}
		t.put(k, run)
	}
	return nil
}

// approved builds the listing entry of an approved override.
func approved(run *overrideRun, e *events.OverrideRecorded, rec *events.Record) *ApprovedOverride {
	ts := orDefault(e.Timestamp, formatSecond(eventTime(rec.OccurredAt, rec.RecordedAt)))
	o := &ApprovedOverride{
		WorldID: run.WorldID, StrategyID: run.StrategyID, RunID: run.RunID, Stage: run.Stage,
		OverrideReason:    optional(strings.TrimSpace(e.Reason)),
		OverrideActor:     optional(strings.TrimSpace(e.Actor)),
		OverrideTimestamp: optional(strings.TrimSpace(e.Timestamp)),
		ReviewDueAt:       optional(normalizeCallerTime(e.ReviewDue)),
		MissingFields:     []string{},
	}
	for _, f := range [...]struct {
		name string
		v    *string
	}{{"override_reason", o.OverrideReason}, {"override_actor", o.OverrideActor}, {"override_timestamp", o.OverrideTimestamp}} {
		if f.v == nil {
			o.MissingFields = append(o.MissingFields, f.name)
		}
	}
	from, okFrom := parseCallerTime(ts)
	due, okDue := parseCallerTime(e.ReviewDue)
	if okFrom && okDue {
		o.ReviewWindowDays = ptr(int(math.Round(due.Sub(from).Hours() / 24)))
	}
	return o
}

// sets are the listings an approved override of world belongs to.
func (p *ApprovedOverrides) sets(world string) [2]string {
	return [2]string{key(p.name, "due"), key(p.name, "due", esc(world))}
}

// dueMember orders overrides by due date, then run stream; an unknown due
// date sorts first.
func dueMember(o *ApprovedOverride, stream string) string {
	due := ""
	if o.ReviewDueAt != nil {
		due = *o.ReviewDueAt
	}
	return due + " " + stream
}

// List returns one page of the approved overrides of world ("" for every
// world) that match q. A bad cursor wraps [ErrInvalidCursor].
func (p *ApprovedOverrides) List(ctx context.Context, world string, q OverrideQuery) (OverridePage, error) {
	switch {
	case q.Limit < 0:
		return OverridePage{}, fmt.Errorf("%w: negative limit %d", ErrInvalidQuery, q.Limit)
	case q.Limit == 0:
		q.Limit = DefaultListLimit
	case q.Limit > MaxListLimit:
		q.Limit = MaxListLimit
	}
	resume, err := decodeCursor(q.Cursor)
	if err != nil {
		return OverridePage{}, err
	}
	from := ""
	if resume != "" {
		from = after(resume)
	}
	set := key(p.name, "due")
	if world != "" {
		set = key(p.name, "due", esc(world))
	}
	page := OverridePage{Overrides: make([]ApprovedOverride, 0, q.Limit)}
	var last string
	for {
		members, err := p.store.Range(ctx, set, from, q.Limit+1)
		if err != nil {
			return OverridePage{}, fmt.Errorf("approved overrides of %q: %w", world, err)
		}
		for _, m := range members {
			due, stream, _ := strings.Cut(m, " ")
			if !q.DueBefore.IsZero() && due != "" {
				if t, ok := parseCallerTime(due); ok && t.After(q.DueBefore) {
					return page, nil // ordered by due date: nothing later matches
				}
			}
			o, err := p.load(ctx, stream)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return OverridePage{}, fmt.Errorf("approved overrides of %q: %w", world, err)
			}
			// The listing and the run are read at different instants:
			// skip a member the run no longer backs.
			if o == nil || dueMember(o, stream) != m {
				continue
			}
			if len(page.Overrides) == q.Limit {
				page.NextCursor = encodeCursor(last)
				return page, nil
			}
			page.Overrides = append(page.Overrides, *o)
			last = m
		}
		if len(members) <= q.Limit {
			return page, nil
		}
		from = after(members[len(members)-1])
	}
}

// Get returns the approved override of a run, or an error wrapping
// [ErrNotFound] when the run has none.
func (p *ApprovedOverrides) Get(ctx context.Context, world, strategy, run string) (ApprovedOverride, error) {
	stream, err := events.RunStream(world, strategy, run)
	if err != nil {
		return ApprovedOverride{}, fmt.Errorf("run %q/%q/%q: %w", world, strategy, run, ErrNotFound)
	}
	o, err := p.load(ctx, stream)
	if err != nil {
		return ApprovedOverride{}, err
	}
	if o == nil {
		return ApprovedOverride{}, fmt.Errorf("approved override of %s: %w", stream, ErrNotFound)
	}
	return *o, nil
}

// load returns the approved override of the run stream (nil when its latest
// override is not approved).
func (p *ApprovedOverrides) load(ctx context.Context, stream string) (*ApprovedOverride, error) {
	run, err := readValue[overrideRun](ctx, p.store, key(p.name, "run", stream))
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", stream, err)
	}
	return run.Approved, nil
}
