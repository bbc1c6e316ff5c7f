package processor

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/processor/kafkatest"
)

// loadSize is how many submissions the Kafka load tests publish: 10,000
// (the figure), or 1,000 under the race detector, which slows the
// evaluator about five times over; WORLDVAL_TEST_KAFKA_MESSAGES overrides
// both.
func loadSize(t *testing.T) int {
	t.Helper()
	if s := os.Getenv("WORLDVAL_TEST_KAFKA_MESSAGES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("WORLDVAL_TEST_KAFKA_MESSAGES=%q is not a positive integer", s)
		}
		return n
	}
	if raceDetector {
		return 1000
	}
	return 10000
}

// publishPolicies publishes one policy per world over Kafka and waits until
// the outbox has announced each.
func publishPolicies(t *testing.T, k testKafka, worlds int) {
	t.Helper()
	var recs []kafkatest.Record
	for w := range worlds {
		world := fmt.Sprintf("world-%02d", w)
		recs = append(recs, command(t, k.cfg.Topics.Policies, cloudevents.TypePublishPolicy, "policy-"+world, world, rawJSON(kafkaTestPolicy)))
	}
	kafkatest.Produce(t, k.broker, recs)
	got := waitForRecords(t, k.broker, k.cfg.Topics.Events, 60*time.Second, func(ms []*sarama.ConsumerMessage) bool { return len(ms) >= worlds })
	if len(got) < worlds {
		t.Fatalf("%d of %d policy_updated events within 60s", len(got), worlds)
	}
}

// wireEvent is the part of an integration event the tests check.
type wireEvent struct {
	cloudevents.Event
	key  string
	body struct {
		WorldID    string `json:"world_id"`
		StrategyID string `json:"strategy_id"`
		RunID      string `json:"run_id"`
		Status     string `json:"status"`
		Version    int    `json:"version"`
		Key        string `json:"idempotency_key"`
	}
}

// decodeWire decodes an integration event record.
func decodeWire(t *testing.T, m *sarama.ConsumerMessage) wireEvent {
	t.Helper()
	ev, err := cloudevents.Parse(m.Value)
	if err != nil {
		t.Fatalf("%s/%d/%d is not a CloudEvent: %v", m.Topic, m.Partition, m.Offset, err)
	}
	w := wireEvent{Event: ev, key: string(m.Key)}
	if err := json.Unmarshal(ev.Data, &w.body); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestKafkaSubmissionsEvaluatedExactlyOnce publishes submissions across 64
// worlds to 8 partitions and checks that each run is submitted and
// evaluated exactly once in the store, and announced exactly once as
// evaluation_run_created, keyed by its world, with the stored completion's
// event id.
func TestKafkaSubmissionsEvaluatedExactlyOnce(t *testing.T) {
	const worlds = 64
	n := loadSize(t)
	k := newTestKafka(t, 8)
	dir := t.TempDir()
	_, stop := startKafkaService(t, dir, k.cfg)
	publishPolicies(t, k, worlds)

	recs := make([]kafkatest.Record, n)
	for i := range recs {
		world := fmt.Sprintf("world-%02d", i%worlds)
		recs[i] = command(t, k.cfg.Topics.Submissions, cloudevents.TypeSubmitEvaluationRun, fmt.Sprintf("submission-%d", i), world, submissionData(world, i))
	}
	start := time.Now()
	kafkatest.Produce(t, k.broker, recs)
	ids := map[string]bool{}    // CloudEvents ids of evaluation_run_created
	timeout := 20 * time.Minute // an upper bound; a stall of a minute ends the wait
	got := waitForRecords(t, k.broker, k.cfg.Topics.Events, timeout, func(ms []*sarama.ConsumerMessage) bool {
		m := ms[len(ms)-1]
		if v, _ := kafkatest.Header(m, "ce_type"); v == cloudevents.TypeEvaluationRunCreated {
			ids[mustHeader(t, m, "ce_id")] = true
		}
		return len(ids) >= n
	})
	elapsed := time.Since(start)
	t.Logf("%d submissions published and announced as evaluated in %v (%.0f/s end to end, race detector %v)", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), raceDetector)
	if len(ids) != n {
		t.Fatalf("%d of %d runs announced (no progress for a minute, or %v passed)", len(ids), n, timeout)
	}
	stop()

	submitted, completed, _ := storeFacts(t, dir)
	if len(submitted) != n || len(completed) != n {
		t.Fatalf("store: %d runs submitted and %d completed, want %d each", len(submitted), len(completed), n)
	}
	for stream, c := range submitted {
		if c != 1 || completed[stream] != 1 {
			t.Fatalf("%s: %d submissions and %d completions, want 1 each", stream, c, completed[stream])
		}
	}
	perRun := map[string]int{}
	all := waitForRecords(t, k.broker, k.cfg.Topics.Events, 30*time.Second, func(ms []*sarama.ConsumerMessage) bool { return len(ms) >= len(got) })
	for _, m := range all {
		w := decodeWire(t, m)
		if w.Type != cloudevents.TypeEvaluationRunCreated {
			continue
		}
		stream, err := events.RunStream(w.body.WorldID, w.body.StrategyID, w.body.RunID)
		if err != nil {
			t.Fatal(err)
		}
		perRun[stream]++
		switch {
		case w.key != w.body.WorldID:
			t.Fatalf("record key %q, world %q", w.key, w.body.WorldID)
		case w.Source != k.cfg.Source || w.body.Version != 1 || w.Correlation() != "evaluation_run:"+w.body.WorldID+":"+w.body.StrategyID+":"+w.body.RunID:
			t.Fatalf("event %+v", w)
		case w.body.Key != "evaluation_run_created:"+w.body.WorldID+":"+w.body.StrategyID+":"+w.body.RunID+":1":
			t.Fatalf("idempotency key %q", w.body.Key)
		case completed[stream] != 1:
			t.Fatalf("announced run %s is not in the store", stream)
		}
	}
	for stream := range completed {
		if perRun[stream] != 1 {
			t.Fatalf("%s announced %d times, want once", stream, perRun[stream])
		}
	}
}

// mustHeader returns a header the record must have.
func mustHeader(t *testing.T, m *sarama.ConsumerMessage, key string) string {
	t.Helper()
	v, ok := kafkatest.Header(m, key)
	if !ok {
		t.Fatalf("%s/%d/%d has no %s header", m.Topic, m.Partition, m.Offset, key)
	}
	return v
}
