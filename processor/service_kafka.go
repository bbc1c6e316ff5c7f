package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/handlers"
)

// Checkpointing of the outbox relay: every save first waits for the broker
// to acknowledge what was published (see [handlers.Outbox.Checkpoints]), so
// saves are batched by count and time.
const (
	outboxCheckpointEvery    = 500
	outboxCheckpointInterval = 200 * time.Millisecond
)

// kafkaOptions are the service options that concern Kafka.
type kafkaOptions struct {
	// handlers maps command types the processor does not apply itself to
	// their handlers.
	handlers map[string]CommandHandler
	// getenv reads sasl.password_env; nil is the process environment.
	getenv func(string) string
	// hubMetrics, when set, hears of every record's outcome in the terms of
	// risk-hub §6.1 (risk_hub_snapshot_* for snapshots, validation_event_*
	// for the other commands).
	hubMetrics *RiskHubMetrics
}

// WithKafkaCommandHandler hands the ingress's commands of commandType
// ([cloudevents.TypeRiskSnapshotUpdated], or [cloudevents.TypeRecordOverride]
// to replace the processor's own override command) to h. Without a handler,
// risk snapshots are dead-lettered as E_NOT_IMPLEMENTED.
func WithKafkaCommandHandler(commandType string, h CommandHandler) Option {
	return func(o *options) {
		if o.kafka.handlers == nil {
			o.kafka.handlers = map[string]CommandHandler{}
		}
		o.kafka.handlers[commandType] = h
	}
}

// kafkaWiring is the service's Kafka side: the ingress and the outbox
// relay's producer and runner. A nil *kafkaWiring is Kafka off, and all its
// methods do nothing.
type kafkaWiring struct {
	ingress  *Ingress
	producer *EventProducer
	outbox   *Runner
	log      *slog.Logger
}

// newKafkaWiring builds the ingress over the API's commands and the outbox
// relay over store, or returns nil when cfg names no brokers. On error
// nothing is left open.
func newKafkaWiring(cfg KafkaConfig, cmds *api, store eventstore.Store, cps eventstore.Checkpoints, reg *events.Registry, log *slog.Logger, m *Metrics, o *kafkaOptions) (*kafkaWiring, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	ingress, err := newIngress(cfg, cmds, o.handlers, log, m, o.getenv)
	if err != nil {
		return nil, err
	}
	ingress.hub = o.hubMetrics
	producer, err := NewEventProducer(cfg, cfg.Topics.Events, o.getenv)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("outbox: %w", err), ingress.close())
	}
	relay, err := handlers.NewOutbox(store, reg, producer, cfg.Source, handlers.WithExitSignalTopic(cfg.Topics.ExitSignals))
	if err == nil {
		var r *Runner
		r, err = NewRunner(store, relay.Checkpoints(cps), relay.Handle, RunnerConfig{
			Name: relay.Name(), CheckpointEvery: outboxCheckpointEvery, CheckpointInterval: outboxCheckpointInterval,
		})
		if err == nil {
			return &kafkaWiring{ingress: ingress, producer: producer, outbox: r, log: log}, nil
		}
	}
	return nil, errors.Join(fmt.Errorf("outbox: %w", err), ingress.close(), producer.Close())
}

// runners returns the outbox relay's runner, for the service to run with
// its workers.
func (k *kafkaWiring) runners() []*Runner {
	if k == nil {
		return nil
	}
	return []*Runner{k.outbox}
}

// start runs the ingress on g until ctx is done. A failing ingress is
// logged and the service goes on serving HTTP.
func (k *kafkaWiring) start(ctx context.Context, g goer) {
	if k == nil {
		return
	}
	g.Go(func() error {
		if err := k.ingress.Run(ctx); err != nil {
			k.log.Error("kafka ingress stopped with an error", "err", err)
		}
		return nil
	})
}

// close closes the outbox producer, once the runners have stopped, and the
// ingress's clients if it never ran.
func (k *kafkaWiring) close() error {
	if k == nil {
		return nil
	}
	err := k.ingress.close()
	if perr := k.producer.Close(); perr != nil {
		err = errors.Join(err, fmt.Errorf("outbox: %w", perr))
	}
	return err
}
