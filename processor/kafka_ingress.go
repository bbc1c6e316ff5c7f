package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/worldval/worldval/events/cloudevents"
)

// commandTimeout bounds one attempt at one command. An attempt runs on a
// context detached from the consumer's, so a command in flight when the
// service stops finishes instead of being cut in half.
const commandTimeout = 30 * time.Second

// ingressCloseTimeout bounds how long the ingress waits for commands in
// flight when it stops.
const ingressCloseTimeout = 30 * time.Second

// Ingress consumes commands from worldval's Kafka topics in the consumer
// group of its configuration and applies each through the same command code
// as the HTTP API (see [KafkaCommand] for what a record must hold). Records of
// one partition are applied one at a time, in order; partitions are applied
// concurrently.
//
// Every record is acknowledged (its offset committed) only once it is
// applied, found to be a duplicate, or written to the DLQ topic; a record is
// never dropped. Permanent failures go to the DLQ at once, transient ones
// after [KafkaRetryConfig] bounded retries, so a poison record never blocks
// its partition for long. When the DLQ itself cannot be written, the record
// is not acknowledged and is delivered again. Delivery is at least once and
// commands are idempotent on the CloudEvents id, so the effects are
// effectively once.
type Ingress struct {
	cfg      KafkaConfig
	cmds     *api
	external map[string]CommandHandler // command type → handler
	sub      *kafka.Subscriber
	dlq      *kafka.Publisher
	router   *message.Router
	log      *slog.Logger
	metrics  *kafkaMetrics
	// hub, when set, counts record outcomes as risk-hub §6.1 names them
	// (see [Ingress.observe]); nil counts nothing there.
	hub *RiskHubMetrics
	now func() time.Time
}

// newIngress builds the ingress of cfg over the API's command code. external
// maps command types to handlers that apply them instead:
// [cloudevents.TypeRiskSnapshotUpdated], which the processor does not apply
// itself (without a handler it is dead-lettered as E_NOT_IMPLEMENTED), and
// [cloudevents.TypeRecordOverride]. getenv reads sasl.password_env (nil:
// the process environment). The DLQ producer connects at once, so the
// brokers must be reachable.
func newIngress(cfg KafkaConfig, cmds *api, external map[string]CommandHandler, log *slog.Logger, m *Metrics, getenv func(string) string) (*Ingress, error) {
	switch {
	case !cfg.Enabled():
		return nil, errors.New("kafka ingress: no brokers configured")
	case cmds == nil:
		return nil, errors.New("kafka ingress: nil command API")
	case log == nil:
		return nil, errors.New("kafka ingress: nil logger")
	}
	for typ := range external {
		if typ != cloudevents.TypeRecordOverride && typ != cloudevents.TypeRiskSnapshotUpdated {
			return nil, fmt.Errorf("kafka ingress: a handler for %q: the processor applies that type itself", typ)
		}
	}
	km, err := newKafkaMetrics(m)
	if err != nil {
		return nil, fmt.Errorf("kafka ingress: metrics: %w", err)
	}
	wlog := watermill.NewSlogLoggerWithLevelMapping(log.With("component", "kafka-ingress"), map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug, // watermill's info is per subscription and rebalance: debug for us
	})
	consumer, err := cfg.SaramaConfig(getenv)
	if err != nil {
		return nil, err
	}
	consumer.Consumer.Return.Errors = true
	// A new consumer group starts at the oldest record, so that no command
	// published before the service first started is skipped.
	consumer.Consumer.Offsets.Initial = sarama.OffsetOldest
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Brokers:               cfg.Brokers,
		Unmarshaler:           ingressUnmarshaler{},
		OverwriteSaramaConfig: consumer,
		ConsumerGroup:         cfg.ConsumerGroup,
		NackResendSleep:       time.Second,
		ReconnectRetrySleep:   time.Second,
	}, wlog)
	if err != nil {
		return nil, fmt.Errorf("kafka ingress: subscriber: %w", err)
	}
	producer, err := cfg.ProducerConfig(getenv)
	if err != nil {
		return nil, err
	}
	dlq, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: cfg.Brokers, Marshaler: recordMarshaler{}, OverwriteSaramaConfig: producer}, wlog)
	if err != nil {
		_ = sub.Close()
		return nil, fmt.Errorf("kafka ingress: DLQ publisher: %w", err)
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: ingressCloseTimeout}, wlog)
	if err != nil {
		_ = sub.Close()
		_ = dlq.Close()
		return nil, fmt.Errorf("kafka ingress: router: %w", err)
	}
	in := &Ingress{cfg: cfg, cmds: cmds, external: external, sub: sub, dlq: dlq, router: router, log: log, metrics: km, now: time.Now}
	for _, topic := range []string{cfg.Topics.Submissions, cfg.Topics.Policies, cfg.Topics.Overrides, cfg.Topics.RiskSnapshots} {
		router.AddConsumerHandler("ingress "+topic, topic, sub, in.handler(topic))
	}
	return in, nil
}

// Run consumes until ctx is done, then stops taking records, lets the
// commands in flight finish (at most [ingressCloseTimeout]) and closes its
// clients. It blocks, and returns nil after a clean stop.
func (in *Ingress) Run(ctx context.Context) error {
	in.log.Info("kafka ingress starting", "brokers", in.cfg.Brokers, "group", in.cfg.ConsumerGroup,
		"topics", []string{in.cfg.Topics.Submissions, in.cfg.Topics.Policies, in.cfg.Topics.Overrides, in.cfg.Topics.RiskSnapshots})
	err := in.router.Run(ctx)
	err = errors.Join(err, in.router.Close())
	if cerr := in.sub.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close subscriber: %w", cerr))
	}
	if cerr := in.dlq.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close DLQ publisher: %w", cerr))
	}
	if err != nil {
		return fmt.Errorf("kafka ingress: %w", err)
	}
	in.log.Info("kafka ingress stopped")
	return nil
}

// handler is the router handler of topic: an error nacks the record, which
// watermill-kafka delivers again.
func (in *Ingress) handler(topic string) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		return in.process(msg.Context(), positionOf(topic, msg), msg)
	}
}

// process applies the record at pos and returns nil when it may be
// acknowledged: applied, a duplicate, ignored, or dead-lettered. It returns
// an error — leaving the record to be delivered again — only when ctx ends
// first or the DLQ cannot be written.
func (in *Ingress) process(ctx context.Context, pos recordPosition, msg *message.Message) error {
	cmd, err := decodeCommand(pos, msg.Payload)
	if err != nil {
		return in.deadLetter(pos, msg, err, 1)
	}
	if cmd.Event.Source == in.cfg.Source {
		in.metrics.records.WithLabelValues(pos.topic, kafkaIgnored).Inc()
		return nil
	}
	for attempt := 1; ; attempt++ {
		duplicate, name, err := in.apply(ctx, cmd)
		if err == nil {
			in.cmds.countCommand(name, duplicate, nil)
			outcome := kafkaApplied
			if duplicate {
				outcome = kafkaDuplicate
			}
			in.metrics.records.WithLabelValues(pos.topic, outcome).Inc()
			in.observe(&cmd, outcome)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("record %s: stopped before the command was applied: %w", pos, err)
		}
		if !transient(err) || attempt >= in.cfg.Retry.MaxAttempts {
			if name != "" {
				in.cmds.countCommand(name, false, err)
			}
			if transient(err) {
				in.observe(&cmd, kafkaRetriesExhausted)
			}
			if err := in.deadLetter(pos, msg, err, attempt); err != nil {
				return err
			}
			in.observe(&cmd, kafkaDeadLettered)
			return nil
		}
		in.metrics.retries.WithLabelValues(pos.topic).Inc()
		in.observe(&cmd, kafkaRetried)
		delay := retryDelay(in.cfg.Retry, attempt+1)
		in.log.Warn("kafka command failed; retrying", "record", pos.String(), "id", cmd.Event.ID, "attempt", attempt, "retry_in", delay, "err", err)
		if !sleepCtx(ctx, delay) {
			return fmt.Errorf("record %s: stopped while retrying: %w", pos, ctx.Err())
		}
	}
}

// apply runs cmd once, on a context detached from ctx's cancellation and
// bounded by [commandTimeout], and returns whether it was a duplicate and
// the command's name for worldval_commands_ingested_total ("" for a type
// the topic does not carry). A panic is returned as an error.
func (in *Ingress) apply(ctx context.Context, cmd KafkaCommand) (duplicate bool, name string, err error) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commandTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("command %s panicked: %v", cmd.Event.ID, r)
		}
	}()
	return in.dispatch(actx, cmd)
}

// deadLetter writes the record at pos to the DLQ with cause as the reason,
// and returns nil once the DLQ has acknowledged it (the record may then be
// acknowledged). The write is bounded by the producer's retries, not by a
// context: sarama's synchronous producer takes none.
func (in *Ingress) deadLetter(pos recordPosition, msg *message.Message, cause error, attempts int) error {
	d := deadLetterOf(pos, cause, attempts, in.cfg.ConsumerGroup, in.now())
	if err := in.dlq.Publish(in.cfg.Topics.DLQ, d.record(msg.Payload, msg.Metadata)); err != nil {
		in.log.Error("kafka: cannot write the DLQ; the record will be delivered again", "record", pos.String(), "err", err, "cause", cause)
		return fmt.Errorf("record %s: write the DLQ: %w", pos, err)
	}
	in.metrics.records.WithLabelValues(pos.topic, kafkaDeadLettered).Inc()
	in.metrics.deadLetters.WithLabelValues(pos.topic, string(d.code)).Inc()
	in.log.Warn("kafka record dead-lettered", "record", pos.String(), "code", d.code, "attempts", attempts, "err", cause)
	return nil
}

// observe counts one outcome of a decoded command in the risk-hub metrics
// (spec §6.1): a risk snapshot's retries and dead letters as
// risk_hub_snapshot_retry_total and _dlq_total (the hub counts what it
// records, re-sends and refuses itself); every other command, the
// validation events of this service, as validation_event_processed_total,
// _dedupe_total, _retry_total, _failed_total (retries exhausted) and
// _dlq_total, labelled with its world, CloudEvents type and stage, with
// now − its CloudEvents time in validation_event_processing_latency_seconds
// when applied.
func (in *Ingress) observe(cmd *KafkaCommand, outcome string) {
	if in.hub == nil {
		return
	}
	stage := commandStage(cmd.Body)
	if cmd.Event.Type == cloudevents.TypeRiskSnapshotUpdated {
		switch outcome {
		case kafkaRetried:
			in.hub.SnapshotRetry(cmd.WorldID, stage)
		case kafkaDeadLettered:
			in.hub.SnapshotDLQ(cmd.WorldID, stage)
		}
		return
	}
	o := ValidationEventProcessed
	switch outcome {
	case kafkaDuplicate:
		o = ValidationEventDedupe
	case kafkaRetried:
		o = ValidationEventRetry
	case kafkaRetriesExhausted:
		o = ValidationEventFailed
	case kafkaDeadLettered:
		o = ValidationEventDLQ
	}
	in.hub.ValidationEvent(o, cmd.WorldID, cmd.Event.Type, stage)
	if t, ok := cmd.Event.ParsedTime(); ok && outcome == kafkaApplied {
		in.hub.ObserveValidationEventLatency(cmd.WorldID, cmd.Event.Type, stage, in.now().Sub(t))
	}
}

// commandStage returns the stage a command body names ("" for none).
func commandStage(body json.RawMessage) string {
	var b struct {
		Stage string `json:"stage"`
	}
	_ = json.Unmarshal(body, &b) // a body without a readable stage has none
	return b.Stage
}

// close releases the ingress's clients; [Ingress.Run] does it when it
// returns, and a second close does nothing.
func (in *Ingress) close() error {
	return errors.Join(in.sub.Close(), in.dlq.Close())
}
