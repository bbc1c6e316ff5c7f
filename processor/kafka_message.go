package processor

import (
	"context"
	"fmt"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// ingressUnmarshaler turns a consumed Kafka record into a watermill message
// without ever failing: watermill-kafka stops consuming a partition when its
// unmarshaler fails, so a record that is not even a message worldval can
// read must still reach the handler, which dead-letters it. The payload is
// the record's value as received; the metadata holds its headers (a later
// header of the same name wins); the id names the record's position.
type ingressUnmarshaler struct{}

// Unmarshal converts rec.
func (ingressUnmarshaler) Unmarshal(rec *sarama.ConsumerMessage) (*message.Message, error) {
	msg := message.NewMessage(fmt.Sprintf("%s/%d/%d", rec.Topic, rec.Partition, rec.Offset), rec.Value)
	for _, h := range rec.Headers {
		if h != nil {
			msg.Metadata.Set(string(h.Key), string(h.Value))
		}
	}
	return msg, nil
}

// recordPosition is where a consumed record came from.
type recordPosition struct {
	topic     string
	partition int32
	offset    int64
	key       []byte
}

// positionOf returns the position of msg, consumed from topic, from the
// values watermill-kafka puts in the message's context.
func positionOf(topic string, msg *message.Message) recordPosition {
	return positionFromContext(msg.Context(), topic)
}

// positionFromContext reads the position watermill-kafka put in ctx.
func positionFromContext(ctx context.Context, topic string) recordPosition {
	p := recordPosition{topic: topic, partition: -1, offset: -1}
	if v, ok := kafka.MessagePartitionFromCtx(ctx); ok {
		p.partition = v
	}
	if v, ok := kafka.MessagePartitionOffsetFromCtx(ctx); ok {
		p.offset = v
	}
	if v, ok := kafka.MessageKeyFromCtx(ctx); ok {
		p.key = v
	}
	return p
}

// String names the position as topic/partition/offset.
func (p recordPosition) String() string {
	return fmt.Sprintf("%s/%d/%d", p.topic, p.partition, p.offset)
}
