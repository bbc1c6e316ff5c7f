package processor

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
)

// extHubToken may publish risk snapshots.
const extHubToken = "ext-hub-writer-0123456789abcdef"

// startExtended starts the whole service — evaluator, extended validation,
// live monitor, exit engine, risk hub — with the api tokens and a hub
// writer, on a test clock.
func startExtended(t *testing.T, clock *testClock, setup func(*Config)) *apiHarness {
	t.Helper()
	cfg := Config{
		DataDir: t.TempDir(),
		HTTP:    HTTPConfig{Addr: "127.0.0.1:0"},
		Auth: AuthConfig{Tokens: []TokenConfig{
			{Principal: "runner", Secret: apiRunnerToken, Scopes: []Scope{ScopeRead, ScopeSubmit}},
			{Principal: "risk", Secret: apiRiskToken, Scopes: []Scope{ScopeRead, ScopePolicyWrite}},
			{Principal: "reader", Secret: apiReaderToken, Scopes: []Scope{ScopeRead}},
			{Principal: "risk-engine", Secret: extHubToken, Scopes: []Scope{ScopeHubWrite}},
		}},
	}
	if setup != nil {
		setup(&cfg)
	}
	svc, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(&testLogWriter{t: t}, nil)),
		func(o *options) { o.runCfg.lagInterval = 20 * time.Millisecond }, withClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("service stopped with %v", err)
			}
		})
	}
	t.Cleanup(stop)
	h := &apiHarness{t: t, svc: svc, base: "http://" + svc.Addr(), stop: stop}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get(h.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return h
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("service not ready after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// extRunView is the part of a run view these tests read.
type extRunView struct {
	Metrics struct {
		Risk struct {
			IncrementalVaR99 *float64 `json:"incremental_var_99"`
		} `json:"risk"`
	} `json:"metrics"`
	Validation struct {
		Results          map[string]struct{ Status, ReasonCode string } `json:"results"`
		ExtendedRevision int                                            `json:"extended_revision"`
		ExtendedHistory  []json.RawMessage                              `json:"extended_history"`
		ExtendedSummary  *struct {
			Status   string            `json:"status"`
			Blocking map[string]string `json:"blocking"`
		} `json:"extended_summary"`
	} `json:"validation"`
	Summary struct {
		Status string `json:"status"`
	} `json:"summary"`
}

// waitExtended waits until the run view at self shows extended revision rev.
func waitExtended(t *testing.T, h *apiHarness, self string, rev int) extRunView {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var v extRunView
		h.do(http.MethodGet, self, apiReaderToken, nil).json(t, &v)
		if v.Validation.ExtendedRevision >= rev {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: extended revision %d after 20s, want %d", self, v.Validation.ExtendedRevision, rev)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const extServicePolicy = `validation_profiles:
  backtest:
    performance: {sharpe_min: 0.1}
default_profile_by_stage: {backtest: backtest}
cohort: {top_k: 2}
portfolio: {max_incremental_var_99: 0.005, severity: blocking}
`

// TestServiceExtendedValidation drives the service over HTTP: a policy with
// extended layers, three evaluated runs (each validated once by its own
// verdict), then a risk snapshot posted to the hub, which re-validates each
// run exactly once. The incremental VaR99 are the hand-worked figures of
// validation/extended's two-asset portfolio (weights s1 0.6, s2 0.4, σ1 =
// 0.02, σ2 = 0.01, ρ = 0.5; s3 a candidate with σ = 0.02, uncorrelated):
// leave-one-out 0.0103037379 for s1 and −0.0129962621 for s2, and
// −0.0063428485 for s3 at the default weight 1/3. s1 exceeds the blocking
// limit 0.005: its extended summary fails, its verdict stays. Posting the
// same snapshot again (an idempotent re-send, D5) validates nothing.
func TestServiceExtendedValidation(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	h := startExtended(t, clock, nil)
	if resp := h.putPolicy("w", "application/yaml", extServicePolicy); resp.status != http.StatusCreated && resp.status != http.StatusOK {
		t.Fatalf("policy: %d %s", resp.status, resp.body)
	}
	self := map[string]string{}
	for s, sharpe := range map[string]float64{"s1": 1.2, "s2": 0.8, "s3": 1.5} {
		self[s] = h.evaluatedRun("w", s, "r1", "backtest", map[string]any{"returns": map[string]any{"sharpe": sharpe, "max_drawdown": -0.05}})
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		waitExtended(t, h, self[s], 1)
	}

	snapshot := map[string]any{
		"as_of": "2026-03-01T11:00:00Z", "version": "v1", "weights": map[string]any{"s1": 0.6, "s2": 0.4},
		"covariance": map[string]any{"s1,s1": 4e-4, "s2,s2": 1e-4, "s1,s2": 1e-4, "s3,s3": 4e-4, "s1,s3": 0.0, "s2,s3": 0.0},
	}
	post := func() apiResponse {
		return h.do(http.MethodPost, "/risk-hub/worlds/w/snapshots", extHubToken, snapshot, "X-Actor", "risk-engine", "X-Stage", "live")
	}
	if resp := post(); resp.status != http.StatusOK {
		t.Fatalf("snapshot: %d %s", resp.status, resp.body)
	}
	want := map[string]float64{"s1": 0.010303737887324381, "s2": -0.01299626211267562, "s3": -0.006342848523826189}
	for _, s := range []string{"s1", "s2", "s3"} {
		v := waitExtended(t, h, self[s], 2)
		got := v.Metrics.Risk.IncrementalVaR99
		if got == nil || math.Abs(*got-want[s]) > 1e-12 {
			t.Errorf("%s: incremental_var_99 %v, want %v", s, got, want[s])
		}
		if v.Validation.ExtendedSummary == nil || len(v.Validation.ExtendedHistory) != 2 {
			t.Fatalf("%s: extended summary %v, history %d", s, v.Validation.ExtendedSummary, len(v.Validation.ExtendedHistory))
		}
		wantSummary := "pass"
		if s == "s1" {
			wantSummary = "fail"
		}
		if v.Validation.ExtendedSummary.Status != wantSummary || v.Validation.ExtendedSummary.Blocking["portfolio"] != wantSummary {
			t.Errorf("%s: extended summary %+v, want %s", s, *v.Validation.ExtendedSummary, wantSummary)
		}
		if v.Summary.Status == "" || v.Summary.Status == "fail" {
			t.Errorf("%s: verdict %q changed by the extended layers", s, v.Summary.Status)
		}
	}

	// The same snapshot again: answered 200 from the ledger, nothing
	// recorded, so no run is validated again.
	if resp := post(); resp.status != http.StatusOK {
		t.Fatalf("re-send: %d %s", resp.status, resp.body)
	}
	time.Sleep(300 * time.Millisecond)
	recs, err := h.svc.store.ReadAll(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	perKey := map[string]int{}
	for i := range recs {
		if recs[i].Type == events.TypeExtendedValidationCompleted {
			perKey[recs[i].IdempotencyKey]++
		}
	}
	if len(perKey) != 6 {
		t.Fatalf("%d extended results (%v), want 6: one per run for its verdict and one for the snapshot", len(perKey), perKey)
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		if v := waitExtended(t, h, self[s], 2); v.Validation.ExtendedRevision != 2 {
			t.Errorf("%s: extended revision %d after the re-send", s, v.Validation.ExtendedRevision)
		}
	}
}
