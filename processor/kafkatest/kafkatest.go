// Package kafkatest connects tests to the real Apache Kafka broker that
// scripts/kafka.sh runs, and gives each test topics of its own.
//
// Tests find the broker in the WORLDVAL_TEST_KAFKA environment variable
// (host:port), which scripts/test.sh sets after starting it. A test that
// needs the broker skips under -short and fails — it never skips — when the
// variable is unset or the broker does not answer, saying how to start one.
package kafkatest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// EnvBroker names the environment variable holding the test broker's
// address.
const EnvBroker = "WORLDVAL_TEST_KAFKA"

// Broker returns the test broker's address. Under -short it skips the test;
// otherwise it fails the test when the broker is not configured or does not
// answer.
func Broker(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test against a Kafka broker; skipped under -short")
	}
	addr := os.Getenv(EnvBroker)
	if addr == "" {
		t.Fatalf("%s is not set. This test needs a real Kafka broker: run `make test` (scripts/test.sh starts one), "+
			"or start one with `scripts/kafka.sh start` and run the tests with %s=127.0.0.1:9092", EnvBroker, EnvBroker)
	}
	client, err := sarama.NewClient([]string{addr}, Config())
	if err != nil {
		t.Fatalf("the Kafka broker at %s (%s) does not answer: %v; start it with `scripts/kafka.sh start`", addr, EnvBroker, err)
	}
	_ = client.Close()
	return addr
}

// Config returns a sarama configuration for test clients: protocol 2.8,
// quick metadata retries, synchronous producer acknowledgements.
func Config() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "worldval-test"
	c.Version = sarama.V2_8_0_0
	c.Metadata.Retry.Backoff = 100 * time.Millisecond
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewHashPartitioner
	c.Consumer.Return.Errors = true
	return c
}

// Name returns a topic or group name unique to this test run, prefix and a
// random suffix, so that tests never see each other's records.
func Name(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:10])
}

// CreateTopics creates the topics with the given partition count on the
// broker at addr and deletes them when the test ends.
func CreateTopics(t testing.TB, addr string, partitions int32, topics ...string) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin([]string{addr}, Config())
	if err != nil {
		t.Fatalf("kafka admin: %v", err)
	}
	defer admin.Close()
	for _, topic := range topics {
		err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			t.Fatalf("create topic %s: %v", topic, err)
		}
	}
	t.Cleanup(func() {
		admin, err := sarama.NewClusterAdmin([]string{addr}, Config())
		if err != nil {
			return // the broker is gone; nothing to clean
		}
		defer admin.Close()
		for _, topic := range topics {
			_ = admin.DeleteTopic(topic)
		}
	})
	waitForLeaders(t, addr, topics)
}

// waitForLeaders waits until every partition of topics has a leader.
func waitForLeaders(t testing.TB, addr string, topics []string) {
	t.Helper()
	client, err := sarama.NewClient([]string{addr}, Config())
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	defer client.Close()
	deadline := time.Now().Add(30 * time.Second)
	for _, topic := range topics {
		for {
			err := client.RefreshMetadata(topic)
			var parts []int32
			if err == nil {
				parts, err = client.Partitions(topic)
			}
			ready := err == nil && len(parts) > 0
			for _, p := range parts {
				if _, lerr := client.Leader(topic, p); lerr != nil {
					ready = false
				}
			}
			if ready {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("topic %s has no leaders after 30s: %v", topic, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// Record is one record to produce.
type Record struct {
	Topic   string
	Key     string
	Value   []byte
	Headers map[string]string
}

// Produce writes recs to the broker at addr, in batches, and fails the test
// on any error. Records of one key keep their order.
func Produce(t testing.TB, addr string, recs []Record) {
	t.Helper()
	if err := ProduceErr(addr, recs); err != nil {
		t.Fatal(err)
	}
}

// ProduceErr is Produce returning its error instead of failing a test.
func ProduceErr(addr string, recs []Record) error {
	p, err := sarama.NewSyncProducer([]string{addr}, Config())
	if err != nil {
		return fmt.Errorf("kafka producer: %w", err)
	}
	defer p.Close()
	const batch = 500
	for len(recs) > 0 {
		n := min(batch, len(recs))
		msgs := make([]*sarama.ProducerMessage, n)
		for i, r := range recs[:n] {
			m := &sarama.ProducerMessage{Topic: r.Topic, Value: sarama.ByteEncoder(r.Value)}
			if r.Key != "" {
				m.Key = sarama.StringEncoder(r.Key)
			}
			for k, v := range r.Headers {
				m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
			}
			msgs[i] = m
		}
		if err := p.SendMessages(msgs); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
		recs = recs[n:]
	}
	return nil
}

// Consume reads topic on the broker at addr from the oldest record, across
// all partitions, handing each record to keep until keep returns false or
// ctx ends; it returns the records read. It fails the test only on client
// errors; a ctx that ends is the caller's to judge from what was read.
func Consume(ctx context.Context, t testing.TB, addr, topic string, keep func(*sarama.ConsumerMessage) bool) []*sarama.ConsumerMessage {
	t.Helper()
	return Follow(ctx, t, addr, topic, 0, keep)
}

// Follow is [Consume] that also stops when no record arrives for idle (0:
// never), so that a test waits as long as its records keep coming — on a
// slow or busy machine too — but not for ever once they stop.
func Follow(ctx context.Context, t testing.TB, addr, topic string, idle time.Duration, keep func(*sarama.ConsumerMessage) bool) []*sarama.ConsumerMessage {
	t.Helper()
	consumer, err := sarama.NewConsumer([]string{addr}, Config())
	if err != nil {
		t.Fatalf("kafka consumer: %v", err)
	}
	defer consumer.Close()
	parts, err := consumer.Partitions(topic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan *sarama.ConsumerMessage)
	done := make(chan struct{})
	pcs := make([]sarama.PartitionConsumer, 0, len(parts))
	for _, p := range parts {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatalf("consume %s/%d: %v", topic, p, err)
		}
		pcs = append(pcs, pc)
	}
	for _, pc := range pcs {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case m, ok := <-pc.Messages():
					if !ok {
						return
					}
					select {
					case out <- m:
					case <-ctx.Done():
						return
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	var got []*sarama.ConsumerMessage
	var stalled <-chan time.Time
	var timer *time.Timer
	if idle > 0 {
		timer = time.NewTimer(idle)
		defer timer.Stop()
		stalled = timer.C
	}
	for running := true; running; {
		select {
		case m := <-out:
			got = append(got, m)
			if !keep(m) {
				running = false
			}
			if timer != nil {
				timer.Reset(idle)
			}
		case <-stalled:
			running = false
		case <-ctx.Done():
			running = false
		}
	}
	cancel()
	for range pcs {
		<-done
	}
	for _, pc := range pcs {
		_ = pc.Close()
	}
	return got
}

// Header returns the value of the header named key of m, and whether it has
// one.
func Header(m *sarama.ConsumerMessage, key string) (string, bool) {
	for _, h := range m.Headers {
		if h != nil && string(h.Key) == key {
			return string(h.Value), true
		}
	}
	return "", false
}
