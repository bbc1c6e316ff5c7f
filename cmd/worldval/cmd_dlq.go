package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/IBM/sarama"

	"github.com/worldval/worldval/processor"
)

// dlqRecord is one record of the DLQ topic as the dlq commands show it.
type dlqRecord struct {
	Partition   int32             `json:"partition"`
	Offset      int64             `json:"offset"`
	FailedAt    string            `json:"failed_at"`
	Code        string            `json:"error_code"`
	Message     string            `json:"error_message"`
	Attempts    string            `json:"attempts"`
	SourceTopic string            `json:"source_topic"`
	SourcePart  string            `json:"source_partition"`
	SourceOff   string            `json:"source_offset"`
	Key         string            `json:"key"`
	Type        string            `json:"type,omitempty"`
	ID          string            `json:"id,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Value       string            `json:"value"`

	rec *sarama.ConsumerMessage
}

// dlqFilter selects dead letters.
type dlqFilter struct {
	code, sourceTopic string
	partition         int
	offset            int64
}

func (f *dlqFilter) declare(fs *flag.FlagSet) {
	fs.StringVar(&f.code, "code", "", "only dead letters with this error `code` (E_VALIDATION, …)")
	fs.StringVar(&f.sourceTopic, "source-topic", "", "only dead letters from this `topic`")
	fs.IntVar(&f.partition, "partition", -1, "only this DLQ `partition`")
	fs.Int64Var(&f.offset, "offset", -1, "only the dead letter at this `offset` (with --partition)")
}

func (f *dlqFilter) match(d *dlqRecord) bool {
	return (f.code == "" || d.Code == f.code) && (f.sourceTopic == "" || d.SourceTopic == f.sourceTopic) &&
		(f.partition < 0 || d.Partition == int32(f.partition)) && (f.offset < 0 || d.Offset == f.offset)
}

func dlqListCommand() command {
	return command{
		name:     "dlq list",
		synopsis: "List the Kafka dead letters: where each came from, its error code and message.",
		usage:    "--brokers HOST:PORT [--code C] [--source-topic T] [--partition P [--offset O]] [--limit N] [--json]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			kf := declareKafkaFlags(fs)
			var f dlqFilter
			f.declare(fs)
			limit := fs.Int("limit", 0, "show at most `n` dead letters (0: all)")
			asJSON := fs.Bool("json", false, "one JSON object per dead letter, with the original value")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				cfg, err := kf.load(env.getenv)
				if err != nil {
					return err
				}
				n := 0
				err = readDLQ(ctx, cfg, env.getenv, func(d *dlqRecord) error {
					if !f.match(d) {
						return nil
					}
					if *limit > 0 && n >= *limit {
						return errStopReading
					}
					n++
					if *asJSON {
						b, err := json.Marshal(d)
						if err != nil {
							return err
						}
						fmt.Fprintf(env.stdout, "%s\n", b)
						return nil
					}
					fmt.Fprintf(env.stdout, "%d/%d  %s  %s  from %s/%s/%s  key=%q type=%s id=%q attempts=%s\n    %s\n",
						d.Partition, d.Offset, d.FailedAt, d.Code, d.SourceTopic, d.SourcePart, d.SourceOff, d.Key, dashIfEmpty(d.Type), d.ID, d.Attempts, d.Message)
					return nil
				})
				if err != nil {
					return err
				}
				if !*asJSON {
					fmt.Fprintf(env.stdout, "%d dead letters in %s\n", n, cfg.Topics.DLQ)
				}
				return nil
			}
		},
	}
}

func dlqReplayCommand() command {
	return command{
		name:     "dlq replay",
		synopsis: "Re-submit Kafka dead letters to the topics they came from (the commands are idempotent).",
		usage:    "--brokers HOST:PORT (--all | --code C | --source-topic T | --partition P [--offset O]) [--dry-run]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			kf := declareKafkaFlags(fs)
			var f dlqFilter
			f.declare(fs)
			all := fs.Bool("all", false, "replay every dead letter")
			dryRun := fs.Bool("dry-run", false, "show what would be replayed, publish nothing")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if !*all && f.code == "" && f.sourceTopic == "" && f.partition < 0 {
					return usagef("say what to replay: --all, --code, --source-topic or --partition [--offset]")
				}
				if f.offset >= 0 && f.partition < 0 {
					return usagef("--offset needs --partition")
				}
				cfg, err := kf.load(env.getenv)
				if err != nil {
					return err
				}
				return dlqReplay(ctx, env, cfg, f, *dryRun)
			}
		},
	}
}

// dlqReplay re-publishes the selected dead letters: the original key, value
// and headers (without the DLQ's) to the source topic.
func dlqReplay(ctx context.Context, env *environment, cfg processor.KafkaConfig, f dlqFilter, dryRun bool) error {
	var selected []*dlqRecord
	err := readDLQ(ctx, cfg, env.getenv, func(d *dlqRecord) error {
		if f.match(d) {
			selected = append(selected, d)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var msgs []*sarama.ProducerMessage
	for _, d := range selected {
		if d.SourceTopic == "" {
			fmt.Fprintf(env.stderr, "skip %d/%d: no %s header\n", d.Partition, d.Offset, processor.DLQHeaderSourceTopic)
			continue
		}
		m := &sarama.ProducerMessage{Topic: d.SourceTopic, Value: sarama.ByteEncoder(d.rec.Value)}
		if d.rec.Key != nil {
			m.Key = sarama.ByteEncoder(d.rec.Key)
		}
		for _, h := range d.rec.Headers {
			if h != nil && !strings.HasPrefix(string(h.Key), processor.DLQHeaderPrefix) {
				m.Headers = append(m.Headers, *h)
			}
		}
		msgs = append(msgs, m)
		fmt.Fprintf(env.stdout, "replay %d/%d (%s, %s) to %s key=%q\n", d.Partition, d.Offset, d.Code, dashIfEmpty(d.Type), d.SourceTopic, d.Key)
	}
	if dryRun || len(msgs) == 0 {
		fmt.Fprintf(env.stdout, "%d dead letters selected; nothing published\n", len(msgs))
		return nil
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
	if err := producer.SendMessages(msgs); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	fmt.Fprintf(env.stdout, "%d dead letters replayed\n", len(msgs))
	return nil
}

// errStopReading is returned by a readDLQ callback to stop reading early
// without an error.
var errStopReading = errors.New("stop reading")

// readDLQ hands each record of the DLQ topic, up to the end each partition
// had when it started, to each in partition and offset order.
func readDLQ(ctx context.Context, cfg processor.KafkaConfig, getenv func(string) string, each func(*dlqRecord) error) error {
	sc, err := cfg.SaramaConfig(getenv)
	if err != nil {
		return err
	}
	client, err := sarama.NewClient(cfg.Brokers, sc)
	if err != nil {
		return fmt.Errorf("connect to %v: %w", cfg.Brokers, err)
	}
	defer client.Close()
	topic := cfg.Topics.DLQ
	parts, err := client.Partitions(topic)
	if err != nil {
		return fmt.Errorf("partitions of %s: %w", topic, err)
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return err
	}
	defer consumer.Close()
	for _, p := range parts {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return fmt.Errorf("end of %s/%d: %w", topic, p, err)
		}
		start, err := client.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			return fmt.Errorf("start of %s/%d: %w", topic, p, err)
		}
		if start >= end {
			continue
		}
		if err := readPartition(ctx, consumer, topic, p, start, end, each); err != nil {
			if errors.Is(err, errStopReading) {
				return nil
			}
			return err
		}
	}
	return nil
}

// readPartition reads offsets [start, end) of one partition.
func readPartition(ctx context.Context, consumer sarama.Consumer, topic string, p int32, start, end int64, each func(*dlqRecord) error) error {
	pc, err := consumer.ConsumePartition(topic, p, start)
	if err != nil {
		return fmt.Errorf("read %s/%d: %w", topic, p, err)
	}
	defer pc.Close()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-pc.Errors():
			return fmt.Errorf("read %s/%d: %w", topic, p, err)
		case m := <-pc.Messages():
			if err := each(describeDLQRecord(m)); err != nil {
				return err
			}
			if m.Offset+1 >= end {
				return nil
			}
		}
	}
}

// describeDLQRecord reads a DLQ record's headers and, when its value is a
// CloudEvent, its type and id.
func describeDLQRecord(m *sarama.ConsumerMessage) *dlqRecord {
	d := &dlqRecord{Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Value: string(m.Value), Headers: map[string]string{}, rec: m}
	for _, h := range m.Headers {
		if h == nil {
			continue
		}
		k, v := string(h.Key), string(h.Value)
		switch k {
		case processor.DLQHeaderErrorCode:
			d.Code = v
		case processor.DLQHeaderErrorMessage:
			d.Message = v
		case processor.DLQHeaderFailedAt:
			d.FailedAt = v
		case processor.DLQHeaderAttempts:
			d.Attempts = v
		case processor.DLQHeaderSourceTopic:
			d.SourceTopic = v
		case processor.DLQHeaderSourcePartition:
			d.SourcePart = v
		case processor.DLQHeaderSourceOffset:
			d.SourceOff = v
		default:
			if !strings.HasPrefix(k, processor.DLQHeaderPrefix) {
				d.Headers[k] = v
			}
		}
	}
	var head struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if json.Unmarshal(m.Value, &head) == nil {
		d.Type, d.ID = head.Type, head.ID
	}
	return d
}

// dashIfEmpty is s, or "-" when empty.
func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
