package processor

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/handlers"
)

// TestServiceRestartRebuildsItsReadModels stops a service and starts another
// on the same data directory: the runs and policies of the first are served
// by the second, which rebuilt its in-memory read models from the store.
func TestServiceRestartRebuildsItsReadModels(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startAPIIn(t, dir, nil)
	s := first.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted)
	if resp := first.putPolicy("w1", "application/yaml", testPolicyYAML); resp.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", resp.status, resp.body)
	}
	head := first.head()
	first.stop()
	if _, err := first.svc.store.Head(t.Context()); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("after Run returned the store answers %v, want ErrClosed", err)
	}

	second := startAPIIn(t, dir, nil)
	if got := second.head(); got != head {
		t.Fatalf("head %d after restart, want %d", got, head)
	}
	var run map[string]any
	second.do(http.MethodGet, s.Links["self"], apiReaderToken, nil).json(t, &run)
	if run["run_id"] != s.RunID || run["status"] != "evaluating" {
		t.Fatalf("run after restart: %v", run)
	}
	var list worldPolicies
	second.do(http.MethodGet, "/worlds/w1/policies", apiReaderToken, nil).json(t, &list)
	if list.DefaultVersion != 1 || len(list.Versions) != 1 {
		t.Fatalf("policies after restart: %+v", list)
	}
}

// TestServiceCountsCommands checks the command, append and lag metrics the
// API and the read models record.
func TestServiceCountsCommands(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	h.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted, "Idempotency-Key", "k")
	h.mustSubmit("w1", validSubmission("s1"), http.StatusOK, "Idempotency-Key", "k")
	h.submit("w1", `{"strategy_id": 1}`)
	h.putPolicy("w1", "application/yaml", testPolicyYAML)
	h.putPolicy("w1", "application/yaml", "validation_profiles: 3")
	lines := scrape(t, h.svc.metrics)
	// The lag gauges are set by a background reporter: give it a moment.
	for deadline := time.Now().Add(5 * time.Second); !hasPrefix(lines, `worldval_projection_lag_events{projection="world_policies"}`) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		lines = scrape(t, h.svc.metrics)
	}
	for _, want := range []string{
		`worldval_commands_ingested_total{outcome="accepted",type="SubmitEvaluationRun"} 1`,
		`worldval_commands_ingested_total{outcome="duplicate",type="SubmitEvaluationRun"} 1`,
		`worldval_commands_ingested_total{outcome="rejected",type="SubmitEvaluationRun"} 1`,
		`worldval_commands_ingested_total{outcome="accepted",type="PublishPolicy"} 1`,
		`worldval_commands_ingested_total{outcome="rejected",type="PublishPolicy"} 1`,
	} {
		if !lines[want] {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !hasPrefix(lines, "worldval_eventstore_append_duration_seconds_count ") || lines["worldval_eventstore_append_duration_seconds_count 0"] {
		t.Errorf("appends not timed")
	}
	if !hasPrefix(lines, `worldval_projection_lag_events{projection="world_policies"}`) {
		t.Errorf("projection lag not reported")
	}
	if !hasPrefix(lines, `worldval_http_requests_total{code="202",method="POST",route="POST /worlds/{world}/evaluations"}`) {
		t.Errorf("HTTP requests not labelled by route: the fallback hides the mux's pattern")
	}
}

// namedWorker is a worker that does nothing.
type namedWorker string

func (w namedWorker) Name() string                                { return string(w) }
func (w namedWorker) Handle(context.Context, events.Record) error { return nil }

func TestServiceRefusesWorkersSharingACheckpoint(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), HTTP: HTTPConfig{Addr: "127.0.0.1:0"}}
	_, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), WithWorkers(namedWorker("a"), namedWorker("a")))
	if err == nil || !strings.Contains(err.Error(), `two workers named "a"`) {
		t.Fatalf("New = %v", err)
	}
}

// countingWorker is a worker that counts the events it sees.
type countingWorker struct{ seen atomic.Int64 }

func (w *countingWorker) Name() string { return "counter" }

func (w *countingWorker) Handle(context.Context, events.Record) error {
	w.seen.Add(1)
	return nil
}

// TestServiceRunsWorkersWithCheckpoints runs the evaluator and an extra
// worker, and checks that both keep their checkpoints under their names in
// the event store.
func TestServiceRunsWorkersWithCheckpoints(t *testing.T) {
	t.Parallel()
	counter := &countingWorker{}
	h := startAPIWithEvaluator(t, WithWorkers(counter))
	s := h.mustSubmit("w1", validSubmission("s1"), http.StatusAccepted)
	waitEvaluated(t, h, s.Links["self"])
	head := h.head()
	// Workers are asynchronous: the verdict being visible says nothing about
	// where the extra worker is. Wait for it to reach the head, then stop.
	deadline := time.Now().Add(10 * time.Second)
	for counter.seen.Load() < int64(head) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	h.stop()
	if got := counter.seen.Load(); got != int64(head) {
		t.Errorf("the extra worker saw %d events of %d", got, head)
	}
	second := startAPIIn(t, h.svc.cfg.DataDir, nil)
	// The counter was waited for, so its checkpoint is the head. The
	// evaluator handled the submission (the verdict exists) but may not have
	// stepped over its own completion events before the stop.
	if cp, err := second.svc.store.Checkpoint(t.Context(), "counter"); err != nil || cp != head {
		t.Errorf("counter checkpoint %d, %v; want %d", cp, err, head)
	}
	if cp, err := second.svc.store.Checkpoint(t.Context(), handlers.EvaluatorName); err != nil || cp < 1 || cp > head {
		t.Errorf("evaluator checkpoint %d, %v; want within [1, %d]", cp, err, head)
	}
}
