package processor

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/handlers"
)

// EventProducer publishes integration events to its topic (or to the
// message's own, [handlers.OutboxMessage].Topic) with sarama's
// asynchronous idempotent producer: Publish queues a record and returns,
// Flush waits for the broker's acknowledgements. It implements
// [handlers.OutboxPublisher]. Records of one key go to one partition in the
// order they were published.
type EventProducer struct {
	topic string
	p     sarama.AsyncProducer
	done  chan struct{} // closed when the acknowledgement reader returns

	mu       sync.Mutex
	inflight int             // queued, not yet acknowledged or failed
	failure  error           // first failure since the last Flush
	idle     []chan struct{} // Flush calls waiting for inflight == 0
}

// NewEventProducer connects the idempotent producer of cfg to topic. getenv
// reads sasl.password_env (nil: the process environment). Close it when
// done.
func NewEventProducer(cfg KafkaConfig, topic string, getenv func(string) string) (*EventProducer, error) {
	sc, err := cfg.ProducerConfig(getenv)
	if err != nil {
		return nil, err
	}
	// Batch what the relay queues: a few milliseconds of records per
	// request, since the idempotent producer keeps one request in flight.
	sc.Producer.Flush.Frequency = 2 * time.Millisecond
	sc.Producer.Flush.Bytes = 512 << 10
	p, err := sarama.NewAsyncProducer(cfg.Brokers, sc)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	e := &EventProducer{topic: topic, p: p, done: make(chan struct{})}
	go e.readAcks()
	return e, nil
}

// Publish queues msg, keyed by msg.Key, as a structured-mode CloudEvent.
// It returns the failure of an earlier record that no Flush has reported
// yet, so the caller stops early; otherwise it returns once the record is
// queued or ctx is done.
func (e *EventProducer) Publish(ctx context.Context, msg handlers.OutboxMessage) error {
	e.mu.Lock()
	if err := e.failure; err != nil {
		e.mu.Unlock()
		return err
	}
	e.inflight++
	e.mu.Unlock()
	rec := &sarama.ProducerMessage{
		Topic: cmp.Or(msg.Topic, e.topic), Key: sarama.StringEncoder(msg.Key), Value: sarama.ByteEncoder(msg.Value),
		Headers: []sarama.RecordHeader{
			{Key: []byte("content-type"), Value: []byte(cloudevents.ContentType)},
			{Key: []byte("ce_id"), Value: []byte(msg.ID)},
			{Key: []byte("ce_type"), Value: []byte(msg.Type)},
		},
	}
	select {
	case e.p.Input() <- rec:
		return nil
	case <-ctx.Done():
		e.settle(nil)
		return fmt.Errorf("publish %s: %w", msg.ID, ctx.Err())
	}
}

// Flush waits until every queued record is acknowledged or failed, then
// returns the first failure since the previous Flush (and forgets it), or
// ctx's error when ctx ends first.
func (e *EventProducer) Flush(ctx context.Context) error {
	e.mu.Lock()
	if e.inflight == 0 {
		err := e.failure
		e.failure = nil
		e.mu.Unlock()
		return err
	}
	wait := make(chan struct{})
	e.idle = append(e.idle, wait)
	e.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		return fmt.Errorf("flush: %w", ctx.Err())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.failure
	e.failure = nil
	return err
}

// Close sends what is queued, stops the producer and waits for its
// acknowledgement reader; it returns the failure no Flush has reported.
func (e *EventProducer) Close() error {
	e.p.AsyncClose()
	<-e.done
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failure != nil {
		return fmt.Errorf("close producer: %w", e.failure)
	}
	return nil
}

// readAcks counts acknowledgements and failures until the producer closes
// both channels.
func (e *EventProducer) readAcks() {
	defer close(e.done)
	successes, failures := e.p.Successes(), e.p.Errors()
	for successes != nil || failures != nil {
		select {
		case _, ok := <-successes:
			if !ok {
				successes = nil
				continue
			}
			e.settle(nil)
		case perr, ok := <-failures:
			if !ok {
				failures = nil
				continue
			}
			e.settle(fmt.Errorf("produce to %s: %w", e.topic, perr.Err))
		}
	}
}

// settle records that one queued record was acknowledged (err nil) or
// failed, and wakes the Flush calls when none is left.
func (e *EventProducer) settle(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inflight--
	if err != nil && e.failure == nil {
		e.failure = err
	}
	if e.inflight == 0 {
		for _, w := range e.idle {
			close(w)
		}
		e.idle = nil
	}
}
