package processor

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events/cloudevents"
)

// KafkaCommand is one command the Kafka ingress decoded from a record: a
// valid CloudEvent whose data is a JSON object, with the world it concerns.
type KafkaCommand struct {
	// Event is the CloudEvent as received; Event.ID is the command's
	// idempotency key.
	Event cloudevents.Event
	// WorldID is the command's world: data.world_id, else the record key.
	WorldID string
	// Body is the event's data without its world_id member: the body of the
	// matching HTTP command.
	Body json.RawMessage
	// Topic, Partition and Offset locate the record.
	Topic     string
	Partition int32
	Offset    int64
}

// CommandHandler applies the commands of a topic whose domain lives outside
// the processor, such as risk snapshots (the risk hub) or overrides (the
// governance commands), so the ingress can hand them over without knowing
// them. It reports whether the command was a duplicate (nothing appended).
// Its errors are classified like the ingress's own: a registered code that
// the sender must fix (4xx other than E_CONFLICT) dead-letters the record at
// once; anything else is retried, then dead-lettered. Implementations must be
// idempotent on cmd.Event.ID and safe for concurrent use (records of
// different partitions are applied concurrently).
type CommandHandler interface {
	HandleCommand(ctx context.Context, cmd KafkaCommand) (duplicate bool, err error)
}

// decodeCommand reads the record at pos with value as a command: a CloudEvent
// (see [cloudevents.Parse]) whose data names its world in world_id or, when
// data has none, in the record key. A record that is not one is
// E_BAD_REQUEST; a world that is missing, or that data and key disagree on,
// is E_VALIDATION.
func decodeCommand(pos recordPosition, value []byte) (KafkaCommand, error) {
	if len(bytes.TrimSpace(value)) == 0 {
		return KafkaCommand{}, errcode.New(errcode.BadRequest, "the record has no value; send a CloudEvent (docs/kafka.md)")
	}
	ev, err := cloudevents.Parse(value)
	if err != nil {
		return KafkaCommand{}, errcode.Wrap(errcode.BadRequest, err, "the record is not a CloudEvent worldval reads (docs/kafka.md)")
	}
	cmd := KafkaCommand{Event: ev, Topic: pos.topic, Partition: pos.partition, Offset: pos.offset}
	members, err := decodeObject(ev.Data)
	if err != nil {
		return KafkaCommand{}, err
	}
	var ps problems
	var world string
	var hasWorld bool
	rest := make([]jsonMember, 0, len(members))
	for _, m := range members {
		if m.name != "world_id" {
			rest = append(rest, m)
			continue
		}
		if world, hasWorld = stringValue(&ps, "world_id", m.value); hasWorld {
			checkID(&ps, "world_id", world)
		}
	}
	key := string(pos.key)
	switch {
	case !hasWorld && key == "":
		ps.add("world_id", "is required: in data.world_id or as the record key")
	case !hasWorld:
		world = key
		checkID(&ps, "world_id", world)
	case key != "" && key != world:
		ps.add("world_id", "%q differs from the record key %q; key each command by its world", world, key)
	}
	if err := ps.err("the command is invalid"); err != nil {
		return KafkaCommand{}, err
	}
	cmd.WorldID, cmd.Body = world, encodeObject(rest)
	return cmd, nil
}

// encodeObject writes members back as one JSON object, in their order.
func encodeObject(members []jsonMember) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(m.name) // a string always encodes
		b.Write(name)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}
