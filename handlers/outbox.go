package handlers

import (
	"context"
	"errors"
	"fmt"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/eventstore"
)

// OutboxName is the subscription name (and checkpoint key) of the outbox
// relay.
const OutboxName = "outbox"

// OutboxMessage is one integration event ready for the events topic: a
// structured-mode CloudEvent keyed by its world, so that one world's events
// stay in one partition, in order.
type OutboxMessage struct {
	// Key is the world id.
	Key string
	// Value is the CloudEvent, JSON.
	Value []byte
	// ID is the CloudEvent's id, the stored event's id: consumers
	// de-duplicate on it.
	ID string
	// Type is the CloudEvent's type, such as "evaluation_run_created".
	Type string
	// Topic is the topic the message goes to when it is not the events
	// topic ("" for the events topic): exit signals have their own (see
	// [WithExitSignalTopic]).
	Topic string
}

// OutboxPublisher sends integration events to Kafka. Publish may return
// before the broker has acknowledged the message; Flush returns once every
// message handed to Publish so far is acknowledged, or with the first
// failure since the previous Flush. Implementations keep the order of the
// messages of one key, must be safe for use by one goroutine at a time, and
// should be idempotent producers, so that a retried send is written once.
type OutboxPublisher interface {
	Publish(ctx context.Context, msg OutboxMessage) error
	Flush(ctx context.Context) error
}

// Outbox is the outbox relay: a checkpointed subscription that turns each
// domain event with a wire form (see [Outbox.Message]) into its integration
// event on Kafka. It never publishes from a request handler: the store is
// the outbox. Run it with the processor's runner over the checkpoints
// returned by [Outbox.Checkpoints], which saves a position only after the
// publisher has acknowledged everything before it.
//
// Delivery is at least once: after a crash, the events after the last saved
// checkpoint are published again with the same CloudEvents ids, and
// consumers de-duplicate on the id (or on data.idempotency_key, which QMTL
// consumers use).
type Outbox struct {
	store     eventstore.Store
	reg       *events.Registry
	pub       OutboxPublisher
	source    string
	exitTopic string
}

// OutboxOption configures an [Outbox].
type OutboxOption func(*Outbox)

// WithExitSignalTopic sends exit_signal_emitted to topic instead of the
// events topic: the gateway consumes exit signals on their own topic
// (worldval.exit-signals by default).
func WithExitSignalTopic(topic string) OutboxOption {
	return func(o *Outbox) { o.exitTopic = topic }
}

// NewOutbox returns the relay reading run streams from store, decoding with
// reg, publishing through pub with source as the CloudEvents source. It
// refuses nil dependencies and an empty source.
func NewOutbox(store eventstore.Store, reg *events.Registry, pub OutboxPublisher, source string, opts ...OutboxOption) (*Outbox, error) {
	switch {
	case store == nil:
		return nil, errors.New("new outbox: nil event store")
	case reg == nil:
		return nil, errors.New("new outbox: nil registry")
	case pub == nil:
		return nil, errors.New("new outbox: nil publisher")
	case source == "":
		return nil, errors.New("new outbox: empty CloudEvents source")
	}
	o := &Outbox{store: store, reg: reg, pub: pub, source: source}
	for _, opt := range opts {
		opt(o)
	}
	return o, nil
}

// Name is the relay's subscription name.
func (o *Outbox) Name() string { return OutboxName }

// Handle publishes the integration event of rec, if it has one. It returns
// the publisher's error, or an error when rec cannot be read; the runner
// then restarts from its checkpoint.
func (o *Outbox) Handle(ctx context.Context, rec events.Record) error {
	msg, ok, err := o.Message(ctx, rec)
	if err != nil || !ok {
		return err
	}
	if err := o.pub.Publish(ctx, msg); err != nil {
		return fmt.Errorf("outbox: publish %s of event %s (position %d): %w", msg.Type, rec.ID, rec.GlobalPosition, err)
	}
	return nil
}

// Message returns the integration event of rec, and false when rec has no
// wire form (see docs/kafka.md for the mapping).
func (o *Outbox) Message(ctx context.Context, rec events.Record) (OutboxMessage, bool, error) {
	w, ok, err := o.wire(ctx, rec)
	if err != nil || !ok {
		return OutboxMessage{}, false, err
	}
	ev := cloudevents.Event{
		ID: rec.ID, Source: o.source, Type: w.typ, Subject: w.world,
		Time: cloudevents.FormatTime(eventTime(rec)), Data: w.data,
	}
	ev.SetCorrelation(w.correlation)
	value, err := cloudevents.Marshal(ev)
	if err != nil {
		return OutboxMessage{}, false, fmt.Errorf("outbox: %w", err)
	}
	msg := OutboxMessage{Key: w.world, Value: value, ID: rec.ID, Type: w.typ}
	if rec.Type == events.TypeExitSignalEmitted {
		msg.Topic = o.exitTopic
	}
	return msg, true, nil
}

// Checkpoints wraps cps so that saving a position first flushes the
// publisher: a checkpoint never passes an event whose message the broker has
// not acknowledged. A failed flush fails the save, and the runner restarts
// from the last saved position.
func (o *Outbox) Checkpoints(cps eventstore.Checkpoints) eventstore.Checkpoints {
	return flushingCheckpoints{Checkpoints: cps, pub: o.pub}
}

// flushingCheckpoints flushes the publisher before each save.
type flushingCheckpoints struct {
	eventstore.Checkpoints
	pub OutboxPublisher
}

// SaveCheckpoint flushes, then saves.
func (f flushingCheckpoints) SaveCheckpoint(ctx context.Context, name string, position uint64) error {
	if err := f.pub.Flush(ctx); err != nil {
		return fmt.Errorf("outbox: flush before checkpoint %d: %w", position, err)
	}
	return f.Checkpoints.SaveCheckpoint(ctx, name, position)
}
