package handlers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/eventstore/sqlite/sqlitetest"
	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/processor"
	"github.com/worldval/worldval/processor/kafkatest"
)

// TestOutboxRelayAgainstKafka runs the relay as the service does — a
// checkpointed runner publishing through the idempotent producer — over a
// store of policies and evaluated runs, and reads the topic back: one
// record per wire event, keyed by world, with the stored event's id, each
// world's records in store order. Run again, the relay resumes after its
// checkpoint and publishes nothing; from position 0 it publishes the same
// ids again, which is what consumers de-duplicate on.
func TestOutboxRelayAgainstKafka(t *testing.T) {
	broker := kafkatest.Broker(t)
	topic := kafkatest.Name("wv-outbox")
	kafkatest.CreateTopics(t, broker, 4, topic)

	ctx := context.Background()
	reg := events.Catalogue()
	store := sqlitetest.Open(t, sqlite.WithRegistry(reg))
	repo, err := aggregates.NewRepository(store, reg)
	if err != nil {
		t.Fatal(err)
	}
	const worlds, runs = 3, 30
	for w := range worlds {
		world := fmt.Sprintf("w%d", w)
		stream, _ := events.PolicyStream(world)
		_, err := aggregates.Update(ctx, repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
			return p.Publish(reg, worldpolicy.Publish{Meta: events.Meta{IdempotencyKey: "p-" + world, OccurredAt: time.Now()}, WorldID: world,
				Policy: []byte(`{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}}}`)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	evaluator, err := handlers.NewEvaluator(repo)
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		req := events.EvaluationRunSubmitted{WorldID: fmt.Sprintf("w%d", i%worlds), StrategyID: "s", RunID: fmt.Sprintf("r%d", i), Stage: "backtest"}
		for _, x := range []float64{0.01, -0.002, 0.004, float64(i) / 1000} {
			req.Returns = append(req.Returns, &x)
		}
		stream, _ := events.RunStream(req.WorldID, req.StrategyID, req.RunID)
		_, err := aggregates.Update(ctx, repo, stream, func(r *evaluationrun.Run) ([]events.Event, error) {
			return r.Submit(reg, evaluationrun.Submit{Meta: events.Meta{IdempotencyKey: "sub-" + stream, OccurredAt: time.Now()}, Request: req})
		})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := store.ReadStream(ctx, stream, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := evaluator.Handle(ctx, recs[0]); err != nil {
			t.Fatal(err)
		}
	}
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The wire events the relay must publish, in store order.
	var want []events.Record
	all, err := store.ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		switch r.Type {
		case events.TypePolicyPublished, events.TypeDefaultPolicySet, events.TypeEvaluationCompleted:
			want = append(want, r)
		}
	}

	relay := func() {
		t.Helper()
		cfg := processor.KafkaConfig{Brokers: []string{broker}}
		cfg.SetDefaults()
		producer, err := processor.NewEventProducer(cfg, topic, nil)
		if err != nil {
			t.Fatal(err)
		}
		o, err := handlers.NewOutbox(store, reg, producer, "worldval-test")
		if err != nil {
			t.Fatal(err)
		}
		r, err := processor.NewRunner(store, o.Checkpoints(store), o.Handle, processor.RunnerConfig{Name: o.Name(), CheckpointEvery: 10, CheckpointInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(rctx) }()
		deadline := time.Now().Add(30 * time.Second)
		for {
			cp, err := store.Checkpoint(ctx, o.Name())
			if err != nil {
				t.Fatal(err)
			}
			if cp == head {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("relay checkpoint %d of %d after 30s", cp, head)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := producer.Close(); err != nil {
			t.Fatal(err)
		}
	}
	read := func(n int, timeout time.Duration) []*sarama.ConsumerMessage {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		var got []*sarama.ConsumerMessage
		return kafkatest.Consume(rctx, t, broker, topic, func(m *sarama.ConsumerMessage) bool {
			got = append(got, m)
			return len(got) < n
		})
	}

	relay()
	got := read(len(want), 30*time.Second)
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	byID := map[string]events.Record{}
	for _, r := range want {
		byID[r.ID] = r
	}
	lastPos := map[int32]uint64{} // partition → position of its last record
	for _, m := range got {
		ev, err := cloudevents.Parse(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		rec, ok := byID[ev.ID]
		if !ok {
			t.Fatalf("record %s/%d is no wire event of the store: %s", topic, m.Offset, m.Value)
		}
		delete(byID, ev.ID)
		if ct, _ := kafkatest.Header(m, "content-type"); ct != cloudevents.ContentType {
			t.Errorf("content-type %q", ct)
		}
		if _, ids, _ := events.ParseStream(rec.Stream); string(m.Key) != ids[0] {
			t.Errorf("key %q for an event of %s", m.Key, rec.Stream)
		}
		if rec.GlobalPosition <= lastPos[m.Partition] {
			t.Errorf("partition %d: position %d after %d", m.Partition, rec.GlobalPosition, lastPos[m.Partition])
		}
		lastPos[m.Partition] = rec.GlobalPosition
	}

	relay() // resumes at the head: nothing more
	if again := read(len(want)+1, 3*time.Second); len(again) != len(want) {
		t.Fatalf("after a restart from the checkpoint: %d records, want still %d", len(again), len(want))
	}
	if err := store.SaveCheckpoint(ctx, handlers.OutboxName, 0); err != nil {
		t.Fatal(err)
	}
	relay() // from 0: the same events again, with the same ids
	twice := read(2*len(want), 30*time.Second)
	ids := map[string]int{}
	for _, m := range twice {
		ev, _ := cloudevents.Parse(m.Value)
		ids[ev.ID]++
	}
	if len(twice) != 2*len(want) || len(ids) != len(want) {
		t.Fatalf("replayed from 0: %d records with %d distinct ids, want %d and %d", len(twice), len(ids), 2*len(want), len(want))
	}
}
