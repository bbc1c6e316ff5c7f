package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/risksnapshot"
	"github.com/worldval/worldval/blobstore"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/projections"
)

// commandRecordRiskSnapshot is the command type of the risk hub in
// worldval_commands_ingested_total.
const commandRecordRiskSnapshot = "RecordRiskSnapshot"

// riskHub is the risk signal hub: the snapshot command that both ingresses
// run ([riskHub.record]), and the reads of the snapshot routes. Build it
// with [newRiskHub]; it is safe for concurrent use.
type riskHub struct {
	contract *risksnapshot.Contract
	// ledgers keeps each world's folded ledger between commands, so the
	// (world, version) check reads only the stream's tail (spec §8.2).
	ledgers   *aggregates.Cache[risksnapshot.Ledger, *risksnapshot.Ledger]
	store     eventstore.Store
	reg       *events.Registry
	blobs     blobstore.Store
	threshold int
	timeline  *projections.SnapshotTimeline
	latest    *projections.SnapshotLatest
	metrics   *RiskHubMetrics
	log       *slog.Logger
	// now is the hub's clock: created_at, expiry and the reads' "now".
	now func() time.Time
}

// newRiskHub returns the hub over its dependencies, refusing nil ones except
// metrics (nil records nothing) and now (nil is [time.Now]).
func newRiskHub(cfg *RiskHubConfig, repo *aggregates.Repository, blobs blobstore.Store, models *readModels, metrics *RiskHubMetrics, log *slog.Logger, now func() time.Time) (*riskHub, error) {
	switch {
	case cfg == nil:
		return nil, errors.New("risk hub: nil configuration")
	case repo == nil:
		return nil, errors.New("risk hub: nil repository")
	case blobs == nil:
		return nil, errors.New("risk hub: nil blob store")
	case models == nil:
		return nil, errors.New("risk hub: nil read models")
	case log == nil:
		return nil, errors.New("risk hub: nil logger")
	}
	ledgers, err := aggregates.NewCache[risksnapshot.Ledger](repo)
	if err != nil {
		return nil, fmt.Errorf("risk hub: %w", err)
	}
	timeline, ok1 := models.projection(projections.SnapshotTimelineName).p.(*projections.SnapshotTimeline)
	latest, ok2 := models.projection(projections.SnapshotLatestName).p.(*projections.SnapshotLatest)
	if !ok1 || !ok2 {
		return nil, errors.New("risk hub: the read models lack the snapshot projections")
	}
	if now == nil {
		now = time.Now
	}
	return &riskHub{
		contract: cfg.contract(), ledgers: ledgers, store: repo.Store(), reg: repo.Registry(), blobs: blobs,
		threshold: cfg.InlineCovThreshold, timeline: timeline, latest: latest, metrics: metrics, log: log, now: now,
	}, nil
}

// snapshotCommand is one snapshot to record, whatever the ingress.
type snapshotCommand struct {
	// in is the snapshot as received: the world of the path (or the Kafka
	// record), the body, the headers, the ingress rules.
	in risksnapshot.Input
	// principal is who sent it: the token's principal over HTTP,
	// "kafka:" and the CloudEvents source over Kafka. It becomes the
	// actor of the event.
	principal string
	// sourceEventID is the CloudEvents id of the Kafka message; it also
	// becomes the event's causation id.
	sourceEventID string
	// correlationID groups the event with its flow; "" takes
	// risk_snapshot:{world}:{hash} (spec §4.3).
	correlationID string
}

// snapshotOutcome is what the command recorded, or found recorded.
type snapshotOutcome struct {
	// snapshot is the snapshot as stored: for a replay, the stored one
	// (its original created_at), not the one just sent (D5).
	snapshot *events.RiskSnapshotRecorded
	// replay is true for an idempotent re-send: nothing was appended.
	replay bool
	// position is the global position of the snapshot's event.
	position uint64
}

// record is the snapshot command (spec §2.2 steps 2–8, §4.4.1 steps 3–6):
//
//   - the contract ([risksnapshot.Contract.Parse]); on Kafka a refusal
//     counts risk_hub_snapshot_failed_total (on HTTP no metric);
//   - created_at: the hub's clock in whole seconds over HTTP (D4); over
//     Kafka the producer's created_at when given;
//   - expiry: an expired snapshot is 422 E_SNAPSHOT_EXPIRED "snapshot is
//     expired" and counts risk_hub_snapshot_expired_total (only Kafka can
//     send one);
//   - references the producer sent must name a blob of this world that the
//     blob store holds (422 E_SNAPSHOT_INVALID / E_SNAPSHOT_BLOB_NOT_FOUND);
//   - identity: a recorded version with the same hash is a replay, which
//     appends and publishes nothing and answers the stored snapshot (D5,
//     counts risk_hub_snapshot_dedupe_total); another hash is 409
//     E_SNAPSHOT_VERSION_CONFLICT (counts risk_hub_snapshot_failed_total);
//   - members above the inline threshold are written to the blob store
//     under world-scoped, content-addressed names (D9, D24) and replaced by
//     references; an event that still exceeds [events.MaxPayloadSize] is
//     413 E_PAYLOAD_TOO_LARGE;
//   - RiskSnapshotRecorded is appended to risk-snapshot/{world} (counts
//     risk_hub_snapshot_processed_total; over Kafka also the processing
//     latency, now − created_at).
//
// A refused snapshot leaves no event and no blob: blobs are written only
// after the identity check, and deleted again when the append is refused
// after all (a concurrent writer recorded the version first). Blobs written
// before an infrastructure failure (store unavailable) stay: they are
// content-addressed, so a retry reuses them, and no event references them.
func (h *riskHub) record(ctx context.Context, cmd snapshotCommand) (snapshotOutcome, error) {
	s, err := h.contract.Parse(cmd.in)
	if err != nil {
		if cmd.in.Kafka {
			world, stage := snapshotLabels(cmd.in)
			h.metrics.SnapshotFailed(world, stage)
		}
		return snapshotOutcome{}, err
	}
	now := h.now()
	createdAt := now.UTC().Truncate(time.Second)
	ingress := events.IngressHTTP
	if cmd.in.Kafka {
		ingress = events.IngressKafka
		if !s.CreatedAt.IsZero() {
			createdAt = s.CreatedAt
		}
	}
	if risksnapshot.Expired(risksnapshot.ExpiresAt(createdAt, s.TTLSec), now) {
		h.metrics.SnapshotExpired(s.WorldID, s.Stage)
		return snapshotOutcome{}, errcode.New(errcode.SnapshotExpired, "snapshot is expired").
			WithDetail("created_at", risksnapshot.FormatInstant(createdAt)).WithDetail("ttl_sec", s.TTLSec)
	}
	if err := h.checkRefs(ctx, s); err != nil {
		h.countRefusal(s, err)
		return snapshotOutcome{}, err
	}
	stream, err := events.RiskSnapshotStream(s.WorldID)
	if err != nil {
		return snapshotOutcome{}, errcode.Wrap(errcode.SnapshotInvalid, err, "world_id cannot name a stream")
	}

	// Identity first, so that neither a replay nor a conflict writes a blob.
	var decision risksnapshot.Decision
	var decideErr error
	if _, err := h.ledgers.View(ctx, stream, func(l *risksnapshot.Ledger) {
		decision, decideErr = l.Decide(s.WorldID, s.Version, s.Hash)
	}); err != nil {
		return snapshotOutcome{}, err
	}
	if decideErr != nil {
		h.metrics.SnapshotFailed(s.WorldID, s.Stage)
		return snapshotOutcome{}, decideErr
	}
	if decision.Replay {
		return h.replay(ctx, stream, s, decision.Stored)
	}

	payload := s.Recorded(createdAt, ingress, cmd.sourceEventID)
	plan := risksnapshot.PlanOffload(&payload, h.threshold)
	risksnapshot.ApplyOffload(&payload, plan, h.blobs.Ref)
	if body, err := events.Marshal(payload); err != nil {
		return snapshotOutcome{}, fmt.Errorf("record snapshot: %w", err)
	} else if len(body) > events.MaxPayloadSize {
		h.metrics.SnapshotFailed(s.WorldID, s.Stage)
		return snapshotOutcome{}, errcode.Wrap(errcode.PayloadTooLarge, events.ErrPayloadTooLarge,
			fmt.Sprintf("the snapshot is %d bytes after offloading, above the %d bytes one event may carry", len(body), events.MaxPayloadSize)).
			WithDetail("limit_bytes", events.MaxPayloadSize)
	}
	created, err := h.writeBlobs(ctx, plan)
	if err != nil {
		h.deleteBlobs(ctx, created)
		return snapshotOutcome{}, err
	}
	correlation := cmd.correlationID
	if correlation == "" {
		correlation = "risk_snapshot:" + s.WorldID + ":" + s.Hash
	}
	rec := risksnapshot.Record{
		Meta: events.Meta{
			OccurredAt: createdAt, Actor: cmd.principal,
			CorrelationID: correlation, CausationID: cmd.sourceEventID,
		},
		Payload: payload,
	}
	res, err := h.ledgers.Update(ctx, stream, func(l *risksnapshot.Ledger) ([]events.Event, error) {
		return l.Record(h.reg, rec)
	})
	if err != nil {
		if e, ok := errcode.From(err); ok && e.HTTPStatus() < 500 {
			h.deleteBlobs(ctx, created)
			h.countRefusal(s, err)
		}
		return snapshotOutcome{}, err
	}
	if res.Duplicate {
		// A concurrent writer recorded the same snapshot first; its
		// event references the same content-addressed blobs.
		var entry risksnapshot.Entry
		if _, err := h.ledgers.View(ctx, stream, func(l *risksnapshot.Ledger) { entry, _ = l.Lookup(s.Version) }); err != nil {
			return snapshotOutcome{}, err
		}
		return h.replay(ctx, stream, s, entry)
	}
	h.metrics.SnapshotProcessed(s.WorldID, s.Stage)
	if cmd.in.Kafka {
		h.metrics.ObserveSnapshotLatency(s.WorldID, s.Stage, now.Sub(createdAt))
	}
	return snapshotOutcome{snapshot: &payload, position: res.Position}, nil
}

// replay answers an idempotent re-send with the stored snapshot (D5).
func (h *riskHub) replay(ctx context.Context, stream string, s *risksnapshot.Snapshot, e risksnapshot.Entry) (snapshotOutcome, error) {
	recs, err := h.store.ReadStream(ctx, stream, e.StreamVersion, 1)
	if err != nil {
		return snapshotOutcome{}, fmt.Errorf("read the recorded snapshot %s: %w", s.Version, err)
	}
	if len(recs) != 1 {
		return snapshotOutcome{}, fmt.Errorf("read the recorded snapshot %s: version %d of %s is missing", s.Version, e.StreamVersion, stream)
	}
	stored, err := events.DecodeAs[events.RiskSnapshotRecorded](h.reg, &recs[0].Event)
	if err != nil {
		return snapshotOutcome{}, fmt.Errorf("read the recorded snapshot %s: %w", s.Version, err)
	}
	h.metrics.SnapshotDedupe(s.WorldID, s.Stage)
	return snapshotOutcome{snapshot: stored, replay: true, position: recs[0].GlobalPosition}, nil
}

// countRefusal counts a hub-level refusal (not an expiry) as
// risk_hub_snapshot_failed_total.
func (h *riskHub) countRefusal(s *risksnapshot.Snapshot, err error) {
	if !errcode.Has(err, errcode.SnapshotExpired) {
		h.metrics.SnapshotFailed(s.WorldID, s.Stage)
	}
}

// checkRefs checks the references the producer sent: each must name a blob
// of the snapshot's world in this hub's blob store, and the blob must exist.
func (h *riskHub) checkRefs(ctx context.Context, s *risksnapshot.Snapshot) error {
	prefix := risksnapshot.WorldPrefix(s.WorldID)
	for _, r := range [...]struct{ field, ref string }{
		{"covariance_ref", s.CovarianceRef}, {"realized_returns_ref", s.RealizedReturnsRef}, {"stress_ref", s.StressRef},
	} {
		if r.ref == "" {
			continue
		}
		name, ok := h.blobs.Name(r.ref)
		if !ok || !strings.HasPrefix(name, prefix) {
			return errcode.New(errcode.SnapshotInvalid, "%s does not name a blob of world %s in this hub's blob store: %s", r.field, s.WorldID, r.ref).
				WithDetail("field", r.field)
		}
		exists, err := h.blobs.Exists(ctx, name)
		if err != nil {
			return fmt.Errorf("check %s: %w", r.field, err)
		}
		if !exists {
			return errcode.New(errcode.SnapshotBlobNotFound, "%s names a missing blob: %s", r.field, r.ref).
				WithDetail("field", r.field)
		}
	}
	return nil
}

// writeBlobs writes the planned blobs and returns the names it created
// (those that existed already are not its to delete).
func (h *riskHub) writeBlobs(ctx context.Context, plan []risksnapshot.Offload) ([]string, error) {
	var created []string
	for _, o := range plan {
		c, err := h.blobs.Put(ctx, o.Name, o.Content)
		if err != nil {
			return created, fmt.Errorf("offload %s: %w", o.Kind, err)
		}
		if c {
			created = append(created, o.Name)
		}
	}
	return created, nil
}

// deleteBlobs removes blobs this command created for a snapshot that was
// not recorded. A failure is logged: the blob is unreferenced either way.
func (h *riskHub) deleteBlobs(ctx context.Context, names []string) {
	for _, n := range names {
		if err := h.blobs.Delete(context.WithoutCancel(ctx), n); err != nil {
			h.log.Warn("risk hub: could not delete the blob of a refused snapshot", "blob", n, "err", err)
		}
	}
}

// snapshotLabels returns the world and stage labels of a snapshot the
// contract refused: the path's or record's world, else data.world_id; the
// X-Stage header over HTTP, else provenance.stage.
func snapshotLabels(in risksnapshot.Input) (world, stage string) {
	world, stage = risksnapshot.Labels(in.Body)
	if in.World != "" {
		world = in.World
	}
	if !in.Kafka {
		stage = in.HeaderStage
	}
	return world, stage
}
