package processor

import (
	"context"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/risksnapshot"
)

// HandleCommand applies a risk_snapshot_updated command of the
// worldval.risk-snapshots topic: the data is the snapshot, validated and
// recorded by the same command as POST /risk-hub/worlds/{world}/snapshots,
// with the Kafka-ingress rules of risk-hub §4.4.1 (actor and stage from
// provenance, the wire fields event_version and idempotency_key tolerated,
// the producer's created_at honoured). It makes the hub a [CommandHandler].
//
// The answer, for the ingress's classification:
//   - nil, duplicate false: the snapshot was recorded;
//   - nil, duplicate true: nothing was appended — an idempotent re-send
//     (counted as risk_hub_snapshot_dedupe_total), or a snapshot already
//     expired on arrival, which is counted as risk_hub_snapshot_expired_total
//     and dropped without a dead letter (§4.4.1 step 4);
//   - a 4xx code (E_SNAPSHOT_INVALID, E_SNAPSHOT_HASH_MISMATCH,
//     E_SNAPSHOT_VERSION_CONFLICT, E_SNAPSHOT_BLOB_NOT_FOUND,
//     E_PAYLOAD_TOO_LARGE): permanent, dead-letter at once (D10), with the
//     error's message as the reason; the hub has counted
//     risk_hub_snapshot_failed_total;
//   - anything else: transient (store or blob store unavailable), retry.
//
// The event records "kafka:" and the CloudEvents source as its actor, the
// CloudEvents id as its source_event_id and causation id, and the message's
// correlation id. It is safe for concurrent use; records of one world are
// serialized by the hub.
func (h *riskHub) HandleCommand(ctx context.Context, cmd KafkaCommand) (duplicate bool, err error) {
	out, err := h.record(ctx, snapshotCommand{
		in:            risksnapshot.Input{World: cmd.WorldID, Body: cmd.Body, Kafka: true},
		principal:     "kafka:" + cmd.Event.Source,
		sourceEventID: cmd.Event.ID,
		correlationID: cmd.Event.Correlation(),
	})
	if errcode.Has(err, errcode.SnapshotExpired) {
		return true, nil
	}
	return out.replay, err
}

var _ CommandHandler = (*riskHub)(nil)
