package processor

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestSubmitRejectsInvalidRequests sends one bad submission per case and
// checks the status, the code, the exact path of the offending field, and
// that nothing at all was stored.
func TestSubmitRejectsInvalidRequests(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	with := func(edit func(map[string]any)) string {
		b := validSubmission("s1")
		edit(b)
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	cases := []struct {
		name   string
		body   string
		header []string
		status int
		code   string
		paths  []string // the problems' paths, in order
	}{
		{"unknown field", with(func(b map[string]any) { b["strategy"] = "s1" }), nil, 422, "E_VALIDATION", []string{"strategy"}},
		{"strategy id of the wrong type", with(func(b map[string]any) { b["strategy_id"] = 7 }), nil, 422, "E_VALIDATION", []string{"strategy_id"}},
		{"missing strategy id", with(func(b map[string]any) { delete(b, "strategy_id") }), nil, 422, "E_VALIDATION", []string{"strategy_id"}},
		{"strategy id with a control character", with(func(b map[string]any) { b["strategy_id"] = "s\n1" }), nil, 422, "E_VALIDATION", []string{"strategy_id"}},
		{"empty run id", with(func(b map[string]any) { b["run_id"] = "" }), nil, 422, "E_VALIDATION", []string{"run_id"}},
		{"string in returns", with(func(b map[string]any) { b["returns"] = []any{0.1, nil, "abc", 0.2} }), nil, 422, "E_VALIDATION", []string{"returns[2]"}},
		{"NaN as a string", with(func(b map[string]any) { b["returns"] = []any{0.1, "NaN"} }), nil, 422, "E_VALIDATION", []string{"returns[1]"}},
		{"infinite number", `{"strategy_id":"s1","returns":[0.1,1e999]}`, nil, 422, "E_VALIDATION", []string{"returns[1]"}},
		{"nested array in returns", `{"strategy_id":"s1","returns":[0.1,[0.2]]}`, nil, 422, "E_VALIDATION", []string{"returns[1]"}},
		{"empty series", with(func(b map[string]any) { b["returns"] = []any{} }), nil, 422, "E_VALIDATION", []string{"returns"}},
		{"only nulls", with(func(b map[string]any) { b["returns"] = []any{nil, nil} }), nil, 422, "E_VALIDATION", []string{"returns"}},
		{"returns not an array", with(func(b map[string]any) { b["returns"] = "0.1,0.2" }), nil, 422, "E_VALIDATION", []string{"returns"}},
		{"nothing to evaluate", `{"strategy_id":"s1"}`, nil, 422, "E_VALIDATION", []string{"metrics"}},
		{"stage syntax", with(func(b map[string]any) { b["stage"] = "paper only!" }), nil, 422, "E_VALIDATION", []string{"stage"}},
		{"stage outside the allowed set", with(func(b map[string]any) { b["stage"] = "production" }), nil, 422, "E_VALIDATION", []string{"stage"}},
		{"unknown risk tier", with(func(b map[string]any) { b["risk_tier"] = "extreme" }), nil, 422, "E_VALIDATION", []string{"risk_tier"}},
		{"unknown parameter", with(func(b map[string]any) { b["params"] = map[string]any{"ppy": 252} }), nil, 422, "E_VALIDATION", []string{"params.ppy"}},
		{"negative periods per year", with(func(b map[string]any) { b["params"] = map[string]any{"periods_per_year": -1} }), nil, 422, "E_VALIDATION", []string{"params.periods_per_year"}},
		{"metric of the wrong type", with(func(b map[string]any) { b["metrics"] = map[string]any{"returns": map[string]any{"sharpe": "1.2"}} }), nil, 422, "E_VALIDATION", []string{"metrics.returns.sharpe"}},
		{"unknown metrics block", with(func(b map[string]any) {
			b["metrics"] = map[string]any{"returns": map[string]any{}, "retruns": map[string]any{"sharpe": 1}}
		}), nil, 422, "E_VALIDATION", []string{"metrics.retruns"}},
		{"metrics block not an object", with(func(b map[string]any) { b["metrics"] = map[string]any{"sample": 3} }), nil, 422, "E_VALIDATION", []string{"metrics.sample"}},
		{"metrics not an object", with(func(b map[string]any) { b["metrics"] = []any{1} }), nil, 422, "E_VALIDATION", []string{"metrics"}},
		{"policy version zero", with(func(b map[string]any) { b["policy_version"] = 0 }), nil, 422, "E_VALIDATION", []string{"policy_version"}},
		{"policy version fraction", with(func(b map[string]any) { b["policy_version"] = 1.5 }), nil, 422, "E_VALIDATION", []string{"policy_version"}},
		{"keys disagree", with(func(b map[string]any) { b["idempotency_key"] = "a" }), []string{"Idempotency-Key", "b"}, 422, "E_VALIDATION", []string{"idempotency_key"}},
		{"repeated field", `{"strategy_id":"s1","strategy_id":"s2","returns":[0.1]}`, nil, 422, "E_VALIDATION", []string{"strategy_id"}},
		{"every problem at once", `{"strategy_id":1,"returns":["x"],"stage":"a b","bogus":true}`, nil, 422, "E_VALIDATION",
			[]string{"strategy_id", "returns[0]", "stage", "bogus"}},
		{"not an object", `[1,2]`, nil, 422, "E_VALIDATION", []string{""}},
		{"malformed JSON", `{"strategy_id": "s1",`, nil, 400, "E_BAD_REQUEST", nil},
		{"trailing data", `{"strategy_id":"s1","returns":[0.1]} {}`, nil, 400, "E_BAD_REQUEST", nil},
		{"empty body", ``, nil, 400, "E_BAD_REQUEST", nil},
		{"not JSON", `{"strategy_id":"s1","returns":[0.1]}`, []string{"Content-Type", "text/csv"}, 415, "E_UNSUPPORTED_MEDIA_TYPE", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := h.submit("w1", tc.body, tc.header...).errorBody(t, tc.status, tc.code)
			if got := e.problemPaths(); tc.paths != nil && !slices.Equal(got, tc.paths) {
				t.Fatalf("problem paths %q, want %q (%s)", got, tc.paths, e.Error.Message)
			}
		})
	}
	if head := h.head(); head != 0 {
		t.Fatalf("rejected submissions stored %d events", head)
	}
}

func TestSubmitBodyLimits(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	// Above the request limit: 413 before the body is read.
	huge := `{"strategy_id":"s1","returns":[0.1],"model_card_version":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`
	e := h.submit("w1", huge).errorBody(t, http.StatusRequestEntityTooLarge, "E_PAYLOAD_TOO_LARGE")
	if e.Error.Details["limit_bytes"] != float64(DefaultMaxBodyBytes) {
		t.Fatalf("details %v", e.Error.Details)
	}
	// Within the request limit but above one event's payload: also 413.
	big := `{"strategy_id":"s1","metrics":{"diagnostics":{"extra_metrics":{"blob":"` + strings.Repeat("x", 1<<20) + `"}}}}`
	h.submit("w1", big).errorBody(t, http.StatusRequestEntityTooLarge, "E_PAYLOAD_TOO_LARGE")
	if head := h.head(); head != 0 {
		t.Fatalf("oversized submissions stored %d events", head)
	}
}
