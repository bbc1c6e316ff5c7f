package processor

import (
	"net/http"
	"sync"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// TestAppliedHookSeesTheVerdict checks that the hook hears of a run's
// verdict from the run read model, and that by then the API serves it.
func TestAppliedHookSeesTheVerdict(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	var h *apiHarness
	visible := make(chan int, 1)
	h = startAPIWithEvaluator(t, WithAppliedHook(func(name string, rec *events.Record) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, name+" "+rec.Type)
		if name == projections.RunCurrentName && rec.Type == events.TypeEvaluationCompleted {
			// The hook runs on the subscription goroutine: the read
			// model already holds the verdict.
			got := 0
			if v, err := h.svc.models.runs.Get(t.Context(), "w1", "s1", runIDOf(rec)); err == nil && v.Status == projections.StatusEvaluated {
				got = 1
			}
			select {
			case visible <- got:
			default:
			}
		}
	}))
	s := h.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted)
	if got := <-visible; got != 1 {
		t.Fatalf("the run was not evaluated in the read model when the hook heard of its verdict")
	}
	waitEvaluated(t, h, s.Links["self"])
	mu.Lock()
	defer mu.Unlock()
	want := map[string]bool{projections.RunCurrentName + " " + events.TypeEvaluationRunSubmitted: false, projections.RunHistoryName + " " + events.TypeEvaluationCompleted: false}
	for _, s := range seen {
		if _, ok := want[s]; ok {
			want[s] = true
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("the hook never heard %q (heard %v)", k, seen)
		}
	}
}

// runIDOf returns the run id of a run stream's record.
func runIDOf(rec *events.Record) string {
	_, ids, err := events.ParseStream(rec.Stream)
	if err != nil || len(ids) != 3 {
		return ""
	}
	return ids[2]
}
