package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/events/cloudevents"
	"github.com/worldval/worldval/processor"
)

// publishKind is one command `worldval publish` can send.
type publishKind struct {
	name, typ, short, what string
	topic                  func(processor.KafkaTopics) string
}

// publishKinds lists the commands of `worldval publish`.
func publishKinds() []publishKind {
	return []publishKind{
		{"submission", cloudevents.TypeSubmitEvaluationRun, "an evaluation-run submission", "an evaluation-run submission (the body of POST /worlds/{world}/evaluations plus world_id)",
			func(t processor.KafkaTopics) string { return t.Submissions }},
		{"policy", cloudevents.TypePublishPolicy, "a policy version", "a policy version (the policy document in JSON plus world_id)",
			func(t processor.KafkaTopics) string { return t.Policies }},
		{"override", cloudevents.TypeRecordOverride, "an override of an evaluated run", "an override ({world_id, strategy_id, run_id, status, reason, actor, timestamp})",
			func(t processor.KafkaTopics) string { return t.Overrides }},
	}
}

// publishCommands returns `worldval publish KIND`, one command per kind.
func publishCommands() []command {
	var cmds []command
	for _, k := range publishKinds() {
		cmds = append(cmds, command{
			name:     "publish " + k.name,
			synopsis: "Publish " + k.short + " to Kafka as a CloudEvent keyed by its world_id.",
			usage:    "--brokers HOST:PORT --file FILE [--id KEY] [--source NAME]\n\nFILE holds " + k.what + ".",
			setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
				kf := declareKafkaFlags(fs)
				file := fs.String("file", "", "`file` holding the command's JSON body plus world_id (- for standard input)")
				id := fs.String("id", "", "idempotency `key` (the CloudEvents id); default: idempotency_key in the body, else a hash of the body, so re-publishing the same file is a no-op")
				source := fs.String("source", "worldval-cli", "CloudEvents `source` naming the producer")
				return func(ctx context.Context, args []string) error {
					if len(args) > 0 {
						return usagef("unexpected argument %q", args[0])
					}
					if *file == "" {
						return usagef("--file is required")
					}
					cfg, err := kf.load(env.getenv)
					if err != nil {
						return err
					}
					return publishToKafka(ctx, env, cfg, k, *file, *id, *source)
				}
			},
		})
	}
	return cmds
}

// publishToKafka wraps the body in file in a CloudEvent of kind k and sends it,
// keyed by its world, with the idempotent producer.
func publishToKafka(ctx context.Context, env *environment, cfg processor.KafkaConfig, k publishKind, file, id, source string) error {
	body, err := readInput(env, file)
	if err != nil {
		return err
	}
	world, key, err := publishedBody(body)
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", file, err)}
	}
	if id == "" {
		id = key
	}
	if id == "" {
		var compact bytes.Buffer
		_ = json.Compact(&compact, body) // publishedBody checked it is JSON
		sum := sha256.Sum256(compact.Bytes())
		id = k.name + ":" + hex.EncodeToString(sum[:16])
	}
	ev := cloudevents.Event{ID: id, Source: source, Type: k.typ, Subject: world, Time: cloudevents.FormatTime(time.Now()), Data: body}
	value, err := cloudevents.Marshal(ev)
	if err != nil {
		return err
	}
	sc, err := cfg.ProducerConfig(env.getenv)
	if err != nil {
		return err
	}
	producer, err := sarama.NewSyncProducer(cfg.Brokers, sc)
	if err != nil {
		return fmt.Errorf("connect to %v: %w", cfg.Brokers, err)
	}
	defer producer.Close()
	topic := k.topic(cfg.Topics)
	partition, offset, err := producer.SendMessage(&sarama.ProducerMessage{
		Topic: topic, Key: sarama.StringEncoder(world), Value: sarama.ByteEncoder(value),
		Headers: []sarama.RecordHeader{{Key: []byte("content-type"), Value: []byte(cloudevents.ContentType)}},
	})
	if err != nil {
		return fmt.Errorf("publish to %s: %w", topic, err)
	}
	fmt.Fprintf(env.stdout, "published %s %q for world %s to %s partition %d offset %d\n", k.typ, id, world, topic, partition, offset)
	return ctx.Err()
}

// publishedBody checks that body is one JSON object naming its world, and
// returns the world and the body's idempotency_key, if any.
func publishedBody(body []byte) (world, key string, err error) {
	var fields struct {
		WorldID        *string `json:"world_id"`
		IdempotencyKey string  `json:"idempotency_key"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil {
		return "", "", fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return "", "", fmt.Errorf("more than one JSON value")
	}
	if fields.WorldID == nil || *fields.WorldID == "" {
		return "", "", fmt.Errorf("world_id is required: it names the world and keys the record")
	}
	return *fields.WorldID, fields.IdempotencyKey, nil
}
