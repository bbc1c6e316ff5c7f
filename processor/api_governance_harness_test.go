package processor

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/worldval/worldval/events"
)

// testClock is a settable clock for the service (the API and the
// evaluator), so that created_at and default timestamps are known.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// withClock makes the service read c.
func withClock(c *testClock) Option {
	return func(o *options) { o.now = c.Now }
}

// passingMetrics and failingMetrics pass and fail testPolicyYAML's backtest
// profile (the profile every stage falls back to).
func passingMetrics() map[string]any {
	return map[string]any{"returns": map[string]any{"sharpe": 1.0, "max_drawdown": 0.1}, "sample": map[string]any{"effective_history_years": 2, "n_trades_total": 500}}
}

func failingMetrics() map[string]any {
	return map[string]any{"returns": map[string]any{"sharpe": 0.01, "max_drawdown": 0.1}}
}

// evaluatedRun submits a run with metrics and waits until its verdict is
// in the run view and its history; it returns the run's self link.
func (h *apiHarness) evaluatedRun(world, strategy, run, stage string, metrics map[string]any) string {
	h.t.Helper()
	s := h.mustSubmit(world, map[string]any{"strategy_id": strategy, "run_id": run, "stage": stage, "metrics": metrics}, http.StatusAccepted)
	waitEvaluated(h.t, h, s.Links["self"])
	return s.Links["self"]
}

// putSettings replaces a world's settings as the risk principal.
func (h *apiHarness) putSettings(world string, body any, headers ...string) apiResponse {
	h.t.Helper()
	return h.do(http.MethodPut, "/worlds/"+world+"/settings", apiRiskToken, body, headers...)
}

// criticalSettings makes a world high-tier critical, with or without a
// fail-closed validation block.
func criticalSettings(failClosed bool) map[string]any {
	s := map[string]any{"risk_profile": map[string]any{"tier": "high", "client_critical": true, "max_capital_at_risk_pct": 2.5}}
	if failClosed {
		s["validation"] = map[string]any{"on_error": "fail", "on_missing_metric": "fail"}
	}
	return s
}

// lastEvent returns the last event of a stream.
func (h *apiHarness) lastEvent(stream string) events.Record {
	h.t.Helper()
	recs, err := h.svc.store.ReadStream(h.t.Context(), stream, 0, 0)
	if err != nil || len(recs) == 0 {
		h.t.Fatalf("read %s: %d events, %v", stream, len(recs), err)
	}
	return recs[len(recs)-1]
}

// unchanged fails the test when the store's head moved from before.
func (h *apiHarness) unchanged(before uint64, what string) {
	h.t.Helper()
	if after := h.head(); after != before {
		h.t.Fatalf("%s appended %d events", what, after-before)
	}
}

// sprintf is fmt.Sprintf, for JSON expectations.
func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
