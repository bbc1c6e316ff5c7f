package processor

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// runList is the answer of a run listing.
type runList struct {
	WorldID string `json:"world_id"`
	Runs    []struct {
		StrategyID string            `json:"strategy_id"`
		RunID      string            `json:"run_id"`
		Status     string            `json:"status"`
		Stage      string            `json:"stage"`
		Links      map[string]string `json:"links"`
	} `json:"runs"`
	NextCursor string `json:"next_cursor"`
}

func TestRunReadsOfUnknownRuns(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	for _, path := range []string{
		"/worlds/w1/strategies/s1/runs/nope",
		"/worlds/w1/strategies/s1/runs/nope/metrics",
		"/worlds/w1/strategies/s1/runs/nope/history",
		"/worlds/w1/strategies/s1/runs/nope?as_of=2030-01-01T00:00:00Z",
	} {
		e := h.do(http.MethodGet, path, apiReaderToken, nil).errorBody(t, http.StatusNotFound, "E_RUN_NOT_FOUND")
		if e.Error.Details["run_id"] != "nope" {
			t.Errorf("%s: details %v", path, e.Error.Details)
		}
	}
	h.do(http.MethodGet, "/worlds/w1/strategies/s1/runs/nope", apiNoToken, nil).errorBody(t, http.StatusUnauthorized, "E_UNAUTHORIZED")
}

func TestRunListPagesThroughEveryRun(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	var want []string
	for i := range 7 {
		body := validSubmission(fmt.Sprintf("s%d", i%2))
		body["run_id"] = fmt.Sprintf("r%d", i)
		if i == 3 {
			body["stage"] = "paper"
		}
		h.mustSubmit("w1", body, http.StatusAccepted)
		want = append(want, body["run_id"].(string))
	}
	h.mustSubmit("w2", validSubmission("s0"), http.StatusAccepted) // another world

	var got []string
	path := "/worlds/w1/runs?limit=3"
	pages := 0
	for {
		resp := h.do(http.MethodGet, path, apiReaderToken, nil)
		var page runList
		resp.json(t, &page)
		if resp.status != http.StatusOK || page.WorldID != "w1" {
			t.Fatalf("list: %d %s", resp.status, resp.body)
		}
		pages++
		for _, r := range page.Runs {
			got = append(got, r.RunID)
			if r.Links["self"] != "/worlds/w1/strategies/"+r.StrategyID+"/runs/"+r.RunID {
				t.Fatalf("links %v", r.Links)
			}
		}
		if page.NextCursor == "" {
			break
		}
		path = "/worlds/w1/runs?limit=3&cursor=" + url.QueryEscape(page.NextCursor)
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("paged through %q in %d pages, want %q in 3", got, pages, want)
	}

	filtered := func(query string) []string {
		var page runList
		h.do(http.MethodGet, "/worlds/w1/runs?"+query, apiReaderToken, nil).json(t, &page)
		var ids []string
		for _, r := range page.Runs {
			ids = append(ids, r.RunID)
		}
		return ids
	}
	if ids := filtered("strategy=s1"); !slices.Equal(ids, []string{"r1", "r3", "r5"}) {
		t.Errorf("strategy=s1: %q", ids)
	}
	if ids := filtered("stage=PAPER&status=evaluating"); !slices.Equal(ids, []string{"r3"}) {
		t.Errorf("stage=paper: %q", ids)
	}
	if ids := filtered("verdict=pass"); len(ids) != 0 {
		t.Errorf("verdict=pass before any verdict: %q", ids)
	}
	var byStrategy runList
	h.do(http.MethodGet, "/worlds/w1/strategies/s0/runs", apiReaderToken, nil).json(t, &byStrategy)
	if len(byStrategy.Runs) != 4 {
		t.Errorf("strategy route listed %d runs of s0, want 4", len(byStrategy.Runs))
	}
}

func TestRunListRejectsBadQueries(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	for _, tc := range []struct{ query, parameter string }{
		{"cursor=not-a-cursor", "cursor"},
		{"limit=0", "limit"},
		{"limit=ten", "limit"},
		{"stauts=evaluated", "stauts"},
		{"stage=a&stage=b", "stage"},
		{"as_of=yesterday", "as_of"},
		{"status=done", ""},
		{"verdict=ok", ""},
	} {
		e := h.do(http.MethodGet, "/worlds/w1/runs?"+tc.query, apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
		if tc.parameter != "" && e.Error.Details["parameter"] != tc.parameter {
			t.Errorf("%s: details %v, want parameter %q", tc.query, e.Error.Details, tc.parameter)
		}
	}
	// The strategy route fixes the strategy: it is not a filter there.
	h.do(http.MethodGet, "/worlds/w1/strategies/s1/runs?strategy=s2", apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
}

// TestRunAsOfAnswersThePast reads an evaluated run as of the instant of its
// submission: the system then knew it as evaluating, with one revision.
func TestRunAsOfAnswersThePast(t *testing.T) {
	t.Parallel()
	h := startAPIWithEvaluator(t)
	s := h.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted)
	waitEvaluated(t, h, s.Links["self"])

	var history []struct {
		Revision   int    `json:"revision"`
		RecordedAt string `json:"recorded_at"`
	}
	h.do(http.MethodGet, s.Links["history"], apiReaderToken, nil).json(t, &history)
	if len(history) != 2 {
		t.Fatalf("history has %d revisions, want 2 (submission, evaluation)", len(history))
	}
	submittedAt := history[0].RecordedAt
	at := url.QueryEscape(submittedAt)

	var then, now map[string]any
	h.do(http.MethodGet, s.Links["self"]+"?as_of="+at, apiReaderToken, nil).json(t, &then)
	h.do(http.MethodGet, s.Links["self"], apiReaderToken, nil).json(t, &now)
	if then["status"] != "evaluating" || then["revision"] != 1.0 || now["status"] != "evaluated" {
		t.Fatalf("as of %s: %v; now: %v", submittedAt, then["status"], now["status"])
	}
	h.do(http.MethodGet, s.Links["metrics"]+"?as_of="+at, apiReaderToken, nil).errorBody(t, http.StatusConflict, "E_RUN_NOT_EVALUATED")
	var pastHistory []any
	h.do(http.MethodGet, s.Links["history"]+"?as_of="+at, apiReaderToken, nil).json(t, &pastHistory)
	if len(pastHistory) != 1 {
		t.Fatalf("history as of the submission has %d revisions", len(pastHistory))
	}
	var pastList runList
	h.do(http.MethodGet, "/worlds/w1/runs?status=evaluating&as_of="+at, apiReaderToken, nil).json(t, &pastList)
	if len(pastList.Runs) != 1 || pastList.Runs[0].Status != "evaluating" {
		t.Fatalf("list as of the submission: %+v", pastList)
	}

	// Before the submission the run did not exist; a bad instant is 400.
	t0, err := time.Parse(time.RFC3339Nano, submittedAt)
	if err != nil {
		t.Fatal(err)
	}
	before := url.QueryEscape(t0.Add(-time.Nanosecond).Format(time.RFC3339Nano))
	h.do(http.MethodGet, s.Links["self"]+"?as_of="+before, apiReaderToken, nil).errorBody(t, http.StatusNotFound, "E_RUN_NOT_FOUND")
	for _, bad := range []string{"2026-13-01T00:00:00Z", "1700000000", "", "2026-01-01"} {
		e := h.do(http.MethodGet, s.Links["self"]+"?as_of="+url.QueryEscape(bad), apiReaderToken, nil).errorBody(t, http.StatusBadRequest, "E_BAD_REQUEST")
		if e.Error.Details["parameter"] != "as_of" {
			t.Errorf("as_of=%q: details %v", bad, e.Error.Details)
		}
	}
	// An unencoded "+" offset arrives as a space and still parses.
	plus := t0.In(time.FixedZone("", 2*3600)).Format(time.RFC3339Nano)
	resp := h.do(http.MethodGet, s.Links["self"]+"?as_of="+plus, apiReaderToken, nil)
	if resp.status != http.StatusOK {
		t.Fatalf("as_of=%s: %d %s", plus, resp.status, resp.body)
	}
}
