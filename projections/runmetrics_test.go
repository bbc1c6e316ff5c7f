package projections_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/worldval/worldval/projections"
)

// TestRunMetricsListsEvaluatedRunsLikeTheRunView folds a world's history
// (evaluations, an extended merge, an override) into the run projection and
// checks that its metrics listing holds exactly the evaluated runs of the
// stage, in submission order, with the run view's metrics and timestamps,
// over several pages, each entry encoded as json.Marshal encodes it.
func TestRunMetricsListsEvaluatedRunsLikeTheRunView(t *testing.T) {
	f := newFixture(t)
	ids := seedWorld(f, 30)
	f.extended("w1", "s0", "r000", 1, t0.Add(time.Hour))
	f.override("w1", "s0", "r000", "approved", "2026-03-02T00:00:00Z", "2026-04-01T00:00:00Z", t0.Add(2*time.Hour))
	f.submit("w1", "s9", "late", "backtest", t0.Add(3*time.Hour)) // evaluating: not listed
	recs := f.all()
	cur, err := projections.NewRunCurrent(projections.NewMemoryStore(), f.reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.ApplyBatch(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i, id := range ids {
		if i%2 == 0 && i%3 != 2 { // backtest and evaluated
			want = append(want, id)
		}
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := cur.ListMetrics(t.Context(), "w1", " Backtest", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := cur.ListMetricsRaw(t.Context(), "w1", " Backtest", cursor, 3)
		if err != nil || len(raw.Runs) != len(page.Runs) || raw.NextCursor != page.NextCursor {
			t.Fatalf("raw page: %d runs, cursor %q, %v", len(raw.Runs), raw.NextCursor, err)
		}
		for i, r := range page.Runs {
			if want, _ := json.Marshal(r); !bytes.Equal(raw.Runs[i], want) {
				t.Errorf("%s encoded as\n%s\nwant\n%s", r.RunID, raw.Runs[i], want)
			}
		}
		if len(page.Runs) > 3 || pages > 100 {
			t.Fatalf("page %d: %d runs", pages, len(page.Runs))
		}
		for _, r := range page.Runs {
			got = append(got, r.RunID)
			v, err := cur.Get(t.Context(), "w1", r.StrategyID, r.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.Metrics, v.Metrics) || r.CreatedAt != v.CreatedAt || r.UpdatedAt != v.UpdatedAt {
				t.Errorf("%s: %s %s %s, run view %s %s %s", r.RunID, r.Metrics, r.CreatedAt, r.UpdatedAt, v.Metrics, v.CreatedAt, v.UpdatedAt)
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if page, err := cur.ListMetrics(t.Context(), "nowhere", "backtest", "", 0); err != nil || len(page.Runs) != 0 {
		t.Fatalf("unknown world: %+v %v", page, err)
	}
	if _, err := cur.ListMetrics(t.Context(), "w1", "backtest", "garbage!", 0); !errors.Is(err, projections.ErrInvalidCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
}
