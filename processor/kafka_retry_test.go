package processor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/processor/kafkatest"
)

// flakyHandler fails each command as many times as its id says, then
// applies it; it records every call.
type flakyHandler struct {
	mu       sync.Mutex
	failures map[string]int          // id → transient failures left (-1: for ever)
	calls    map[string]int          // id → calls
	applied  map[string]KafkaCommand // id → the command as applied
	order    []string                // ids in the order they were applied
}

func (h *flakyHandler) HandleCommand(_ context.Context, cmd KafkaCommand) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := cmd.Event.ID
	h.calls[id]++
	switch n := h.failures[id]; {
	case id == "invalid":
		return false, errcode.New(errcode.Validation, "the snapshot is invalid")
	case n < 0:
		return false, errcode.New(errcode.Unavailable, "the hub's store is unavailable")
	case n > 0:
		h.failures[id] = n - 1
		return false, errcode.New(errcode.Conflict, "a concurrent write won")
	}
	if _, dup := h.applied[id]; dup {
		return true, nil
	}
	h.applied[id] = cmd
	h.order = append(h.order, id)
	return false, nil
}

// TestKafkaTransientFailuresAreRetriedThenDeadLettered hands risk snapshots
// to a handler that fails: a command that fails twice for a transient
// reason is retried and applied; one that keeps failing is dead-lettered
// after the configured attempts, and the record behind it in the same
// partition is applied; an invalid one is dead-lettered at once.
func TestKafkaTransientFailuresAreRetriedThenDeadLettered(t *testing.T) {
	k := newTestKafka(t, 1)
	h := &flakyHandler{failures: map[string]int{"flaky": 2, "poison": -1}, calls: map[string]int{}, applied: map[string]KafkaCommand{}}
	_, stop := startKafkaService(t, t.TempDir(), k.cfg, WithKafkaCommandHandler(cloudevents.TypeRiskSnapshotUpdated, h))
	snapshot := map[string]any{"world_id": "w", "version": "v1", "weights": map[string]float64{"s": 1}}
	var recs []kafkatest.Record
	for _, id := range []string{"flaky", "poison", "invalid", "after"} {
		recs = append(recs, command(t, k.cfg.Topics.RiskSnapshots, cloudevents.TypeRiskSnapshotUpdated, id, "w", snapshot))
	}
	kafkatest.Produce(t, k.broker, recs)
	dead := waitForRecords(t, k.broker, k.cfg.Topics.DLQ, 60*time.Second, func(ms []*sarama.ConsumerMessage) bool { return len(ms) >= 2 })
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.mu.Lock()
		n := len(h.order)
		h.mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()

	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.order) != 2 || h.order[0] != "flaky" || h.order[1] != "after" {
		t.Fatalf("applied %v, want [flaky after]", h.order)
	}
	if h.calls["flaky"] != 3 || h.calls["poison"] != k.cfg.Retry.MaxAttempts || h.calls["invalid"] != 1 {
		t.Fatalf("calls %v: want flaky 3, poison %d, invalid 1", h.calls, k.cfg.Retry.MaxAttempts)
	}
	if cmd := h.applied["flaky"]; cmd.WorldID != "w" || string(cmd.Body) == "" || cmd.Topic != k.cfg.Topics.RiskSnapshots {
		t.Fatalf("handed %+v", cmd)
	}
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dead))
	}
	want := map[string][2]string{"poison": {"E_UNAVAILABLE", "3"}, "invalid": {"E_VALIDATION", "1"}}
	for _, m := range dead {
		ev, err := cloudevents.Parse(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		w := want[ev.ID]
		if got := [2]string{mustHeader(t, m, DLQHeaderErrorCode), mustHeader(t, m, DLQHeaderAttempts)}; got != w {
			t.Errorf("%s: dead-lettered as %v, want %v", ev.ID, got, w)
		}
	}
}
