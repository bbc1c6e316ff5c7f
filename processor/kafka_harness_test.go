package processor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/processor/kafkatest"
)

// testKafka is a test's own topics and consumer group on the test broker.
type testKafka struct {
	broker string
	cfg    KafkaConfig
}

// newTestKafka creates the six topics of a fresh configuration, each with
// partitions partitions, on the test broker.
func newTestKafka(t *testing.T, partitions int32) testKafka {
	t.Helper()
	broker := kafkatest.Broker(t)
	cfg := kafkaTopicsOn(t, broker, kafkatest.Name("wv"), partitions)
	cfg.Retry = KafkaRetryConfig{MaxAttempts: 3, InitialBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return testKafka{broker: broker, cfg: cfg}
}

// kafkaTopicsOn returns the Kafka configuration of a test on broker: its
// consumer group and every topic named after prefix, with the defaults
// set, and creates the topics with the given partitions.
func kafkaTopicsOn(t *testing.T, broker, prefix string, partitions int32) KafkaConfig {
	t.Helper()
	cfg := KafkaConfig{
		Brokers:       []string{broker},
		ConsumerGroup: prefix + "-group",
		Topics: KafkaTopics{
			Submissions: prefix + ".submissions", Policies: prefix + ".policies", Overrides: prefix + ".overrides",
			RiskSnapshots: prefix + ".risk-snapshots", DLQ: prefix + ".dlq", Events: prefix + ".events", ExitSignals: prefix + ".exit-signals",
		},
	}
	cfg.SetDefaults()
	var names []string
	for _, tk := range cfg.Topics.list() {
		names = append(names, tk.name)
	}
	kafkatest.CreateTopics(t, broker, partitions, names...)
	return cfg
}

// startKafkaService runs a service with the evaluator, the Kafka ingress and
// the outbox relay over dir; the returned stop function stops it (and runs
// when the test ends).
func startKafkaService(t *testing.T, dir string, kc KafkaConfig, opts ...Option) (*Service, func()) {
	t.Helper()
	cfg := Config{DataDir: dir, HTTP: HTTPConfig{Addr: "127.0.0.1:0"}, Kafka: kc, Log: LogConfig{Level: "warn"}}
	log := slog.New(slog.NewTextHandler(&testLogWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := New(t.Context(), cfg, log, opts...)
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
	return svc, stop
}

// command builds the record of one command: a CloudEvent keyed by world.
func command(t testing.TB, topic, typ, id, world string, data any) kafkatest.Record {
	t.Helper()
	body, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	value, err := cloudevents.Marshal(cloudevents.Event{ID: id, Source: "test-producer", Type: typ, Data: body})
	if err != nil {
		t.Fatal(err)
	}
	return kafkatest.Record{Topic: topic, Key: world, Value: value, Headers: map[string]string{"content-type": cloudevents.ContentType}}
}

// testPolicy is a small policy every test world publishes.
const kafkaTestPolicy = `{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}}}`

// submissionData returns the data of a submission of run i of world w with a
// short return series.
func submissionData(world string, i int) map[string]any {
	return map[string]any{
		"world_id": world, "strategy_id": fmt.Sprintf("s%d", i%7), "run_id": fmt.Sprintf("run-%d", i),
		"stage": "backtest", "returns": []float64{0.01, -0.004, 0.006, 0.002, -0.001, 0.003, float64(i%11) / 1000},
	}
}

// waitForRecords consumes topic until done says so, or until no record has
// arrived for a minute, or the timeout passes; it returns what it read. A
// stall, not a slow machine, ends the wait early.
func waitForRecords(t *testing.T, broker, topic string, timeout time.Duration, done func([]*sarama.ConsumerMessage) bool) []*sarama.ConsumerMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var seen []*sarama.ConsumerMessage
	return kafkatest.Follow(ctx, t, broker, topic, time.Minute, func(m *sarama.ConsumerMessage) bool {
		seen = append(seen, m)
		return !done(seen)
	})
}

// storeFacts opens the store of dir (the service must be stopped) and
// counts, per run stream, its submissions and completions.
func storeFacts(t *testing.T, dir string) (submitted, completed map[string]int, policies int) {
	t.Helper()
	store, err := sqlite.Open(t.Context(), EventStorePath(dir), sqlite.WithRegistry(events.Catalogue()))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	submitted, completed = map[string]int{}, map[string]int{}
	var after uint64
	for {
		recs, err := store.ReadAll(t.Context(), after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return submitted, completed, policies
		}
		for _, r := range recs {
			switch r.Type {
			case events.TypeEvaluationRunSubmitted:
				submitted[r.Stream]++
			case events.TypeEvaluationCompleted:
				completed[r.Stream]++
			case events.TypePolicyPublished:
				policies++
			}
		}
		after = recs[len(recs)-1].GlobalPosition
	}
}

// rawJSON is JSON text that encodes as itself.
func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }
