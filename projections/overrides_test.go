package projections_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/projections"
)

func TestApprovedOverridesWithReviewDueDates(t *testing.T) {
	f := newFixture(t)
	at := t0
	tick := func() time.Time { at = at.Add(time.Minute); return at }
	for _, r := range []string{"a", "b", "c", "d"} {
		f.submit("w1", "s1", r, "live", tick())
	}
	f.submit("w2", "s9", "x", "paper", tick())
	f.override("w1", "s1", "a", "approved", "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z", tick())
	f.override("w1", "s1", "b", "approved", "2026-02-01T00:00:00Z", "2026-03-03T00:00:00Z", tick())
	f.override("w1", "s1", "c", "approved", "2026-03-02T00:00:00Z", "", tick()) // no due date known
	f.override("w1", "s1", "d", "approved", "2026-03-02T00:00:00Z", "2026-06-01T00:00:00Z", tick())
	f.override("w1", "s1", "d", "rejected", "", "", tick()) // d leaves the listing
	f.override("w2", "s9", "x", "approved", "2026-01-01T00:00:00Z", "2026-04-01T00:00:00+02:00", tick())
	ps := newProjections(t, f.reg)
	ps.applyEach(t, f.all())

	page, err := ps.overrides.List(f.ctx, "w1", projections.OverrideQuery{})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "w1 overrides", page, `{"overrides":[
	  {"world_id":"w1","strategy_id":"s1","run_id":"c","stage":"live","override_reason":"desk head accepts the drawdown","override_actor":"risk-lead",
	   "override_timestamp":"2026-03-02T00:00:00Z","review_window_days":null,"review_due_at":null,"missing_fields":[]},
	  {"world_id":"w1","strategy_id":"s1","run_id":"b","stage":"live","override_reason":"desk head accepts the drawdown","override_actor":"risk-lead",
	   "override_timestamp":"2026-02-01T00:00:00Z","review_window_days":30,"review_due_at":"2026-03-03T00:00:00Z","missing_fields":[]},
	  {"world_id":"w1","strategy_id":"s1","run_id":"a","stage":"live","override_reason":"desk head accepts the drawdown","override_actor":"risk-lead",
	   "override_timestamp":"2026-03-01T00:00:00Z","review_window_days":30,"review_due_at":"2026-03-31T00:00:00Z","missing_fields":[]}]}`)
	now := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	if o := page.Overrides; o[0].Overdue(now) || !o[1].Overdue(now) || o[2].Overdue(now) {
		t.Errorf("overdue at %s: c=%v b=%v a=%v, want false true false", now, o[0].Overdue(now), o[1].Overdue(now), o[2].Overdue(now))
	}

	// Due by a date: the unknown due date, then b.
	due, err := ps.overrides.List(f.ctx, "w1", projections.OverrideQuery{DueBefore: now})
	if err != nil || len(due.Overrides) != 2 || due.Overrides[1].RunID != "b" {
		t.Fatalf("due before %s: %+v, %v", now, due, err)
	}
	// Across worlds, paged by two: c, b | a, x (due 2026-03-31T22:00Z).
	var got []string
	q := projections.OverrideQuery{Limit: 2}
	for {
		p, err := ps.overrides.List(f.ctx, "", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Overrides {
			got = append(got, o.RunID)
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	if want := "c b a x"; strings.Join(got, " ") != want {
		t.Fatalf("all worlds: %s, want %s", strings.Join(got, " "), want)
	}
	if _, err := ps.overrides.Get(f.ctx, "w1", "s1", "d"); !errors.Is(err, projections.ErrNotFound) {
		t.Errorf("rejected override: %v, want ErrNotFound", err)
	}
	if o, err := ps.overrides.Get(f.ctx, "w2", "s9", "x"); err != nil || *o.ReviewDueAt != "2026-03-31T22:00:00Z" {
		t.Errorf("w2 override: %+v, %v", o, err)
	}
	if _, err := ps.overrides.List(f.ctx, "", projections.OverrideQuery{Cursor: "not-a-cursor"}); !errors.Is(err, projections.ErrInvalidCursor) {
		t.Errorf("bad cursor: %v, want ErrInvalidCursor", err)
	}
}
