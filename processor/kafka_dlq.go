package processor

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/worldval/worldval/aggregates/errcode"
)

// Headers of a dead letter. A dead letter on the DLQ topic is the original
// record — same key, same value byte for byte, same headers — plus these,
// which say why and from where. `worldval dlq replay` removes them again.
const (
	// DLQHeaderErrorCode is the error code, from the error-code registry
	// (E_BAD_REQUEST, E_VALIDATION, E_UNKNOWN_COMMAND, E_UNAVAILABLE, …).
	DLQHeaderErrorCode = "worldval_dlq_error_code"
	// DLQHeaderErrorMessage is the error message.
	DLQHeaderErrorMessage = "worldval_dlq_error_message"
	// DLQHeaderSourceTopic is the topic the record was consumed from.
	DLQHeaderSourceTopic = "worldval_dlq_source_topic"
	// DLQHeaderSourcePartition is its partition, in decimal.
	DLQHeaderSourcePartition = "worldval_dlq_source_partition"
	// DLQHeaderSourceOffset is its offset, in decimal.
	DLQHeaderSourceOffset = "worldval_dlq_source_offset"
	// DLQHeaderAttempts is how many times the command was tried (1 for a
	// permanent failure).
	DLQHeaderAttempts = "worldval_dlq_attempts"
	// DLQHeaderFailedAt is when the record was dead-lettered, RFC 3339 UTC.
	DLQHeaderFailedAt = "worldval_dlq_failed_at"
	// DLQHeaderConsumerGroup is the consumer group that gave up on it.
	DLQHeaderConsumerGroup = "worldval_dlq_consumer_group"
)

// DLQHeaderPrefix starts the name of every header worldval adds to a dead
// letter.
const DLQHeaderPrefix = "worldval_dlq_"

// keyMetadata carries a record's key through a watermill message to
// [recordMarshaler]; it never becomes a header.
const keyMetadata = "_worldval_kafka_key"

// deadLetter is why one record goes to the DLQ.
type deadLetter struct {
	from     recordPosition
	code     errcode.Code
	text     string
	attempts int
	group    string
	at       time.Time
}

// deadLetterOf describes err, the reason the record at from is given up on
// after attempts attempts.
func deadLetterOf(from recordPosition, err error, attempts int, group string, at time.Time) deadLetter {
	// The code is the one an HTTP caller would get for the same error; the
	// message is the whole error, causes included, since the DLQ is read by
	// operators, not by the command's sender.
	return deadLetter{from: from, code: apiErrorOf(err).Code, text: err.Error(), attempts: attempts, group: group, at: at}
}

// record builds the dead letter of the record whose value and headers
// (as metadata) are payload and original.
func (d deadLetter) record(payload []byte, original message.Metadata) *message.Message {
	msg := message.NewMessage(d.from.String(), payload)
	for k, v := range original {
		if !strings.HasPrefix(k, DLQHeaderPrefix) && k != keyMetadata {
			msg.Metadata.Set(k, v)
		}
	}
	msg.Metadata.Set(DLQHeaderErrorCode, string(d.code))
	msg.Metadata.Set(DLQHeaderErrorMessage, truncate(d.text, 4096))
	msg.Metadata.Set(DLQHeaderSourceTopic, d.from.topic)
	msg.Metadata.Set(DLQHeaderSourcePartition, strconv.FormatInt(int64(d.from.partition), 10))
	msg.Metadata.Set(DLQHeaderSourceOffset, strconv.FormatInt(d.from.offset, 10))
	msg.Metadata.Set(DLQHeaderAttempts, strconv.Itoa(d.attempts))
	msg.Metadata.Set(DLQHeaderFailedAt, d.at.UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(DLQHeaderConsumerGroup, d.group)
	if d.from.key != nil {
		msg.Metadata.Set(keyMetadata, string(d.from.key))
	}
	return msg
}

// recordMarshaler writes a watermill message as a plain Kafka record: the
// payload as value, the metadata as headers (sorted by name, so a record is
// written the same way every time), and the key from [keyMetadata]. Unlike
// watermill-kafka's default marshaler it adds no header of its own, so a
// dead letter carries exactly the original headers plus the DLQ ones.
type recordMarshaler struct{}

// Marshal converts msg into a record for topic.
func (recordMarshaler) Marshal(topic string, msg *message.Message) (*sarama.ProducerMessage, error) {
	names := make([]string, 0, len(msg.Metadata))
	for k := range msg.Metadata {
		if k != keyMetadata {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	headers := make([]sarama.RecordHeader, 0, len(names))
	for _, k := range names {
		headers = append(headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(msg.Metadata[k])})
	}
	rec := &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(msg.Payload), Headers: headers}
	if key, ok := msg.Metadata[keyMetadata]; ok {
		rec.Key = sarama.ByteEncoder(key)
	}
	return rec, nil
}

// truncate shortens s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("… (%d bytes in all)", len(s))
}
