package processor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/blobstore"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/projections"
)

// snapshotView is the representation of a snapshot in the API (spec §2.14,
// QMTL's to_dict): always world_id, as_of, version, weights, provenance,
// created_at, hash and ttl_sec; the optional members when present.
// Offloaded members are references unless the reader asked for
// expand=true.
type snapshotView struct {
	WorldID            string             `json:"world_id"`
	AsOf               string             `json:"as_of"`
	Version            string             `json:"version"`
	Weights            map[string]float64 `json:"weights"`
	Covariance         json.RawMessage    `json:"covariance,omitempty"`
	CovarianceRef      string             `json:"covariance_ref,omitempty"`
	RealizedReturns    json.RawMessage    `json:"realized_returns,omitempty"`
	RealizedReturnsRef string             `json:"realized_returns_ref,omitempty"`
	Stress             json.RawMessage    `json:"stress,omitempty"`
	StressRef          string             `json:"stress_ref,omitempty"`
	Constraints        json.RawMessage    `json:"constraints,omitempty"`
	Provenance         json.RawMessage    `json:"provenance"`
	CreatedAt          string             `json:"created_at"`
	Hash               string             `json:"hash"`
	TTLSec             int64              `json:"ttl_sec"`
}

// view returns the representation of p; with expand, references are
// resolved (D17) — each only when its inline member is absent, and a
// failed resolution leaves the member absent (spec §2.14).
func (h *riskHub) view(ctx context.Context, p *events.RiskSnapshotRecorded, expand bool) (snapshotView, error) {
	v := snapshotView{
		WorldID: p.WorldID, AsOf: p.AsOf, Version: p.Version, Weights: p.Weights,
		CovarianceRef: p.CovarianceRef, RealizedReturnsRef: p.RealizedReturnsRef, StressRef: p.StressRef,
		Stress: p.Stress, Constraints: p.Constraints, Provenance: p.Provenance,
		CreatedAt: p.CreatedAt, Hash: p.Hash, TTLSec: p.TTLSec,
	}
	var err error
	if len(p.Covariance) > 0 {
		if v.Covariance, err = json.Marshal(p.Covariance); err != nil {
			return snapshotView{}, fmt.Errorf("snapshot %s: %w", p.Version, err)
		}
	}
	if p.RealizedReturns != nil {
		if v.RealizedReturns, err = json.Marshal(p.RealizedReturns); err != nil {
			return snapshotView{}, fmt.Errorf("snapshot %s: %w", p.Version, err)
		}
	}
	if !expand {
		return v, nil
	}
	if v.Covariance == nil && v.CovarianceRef != "" {
		v.Covariance = h.resolve(ctx, v.CovarianceRef, true)
	}
	if v.RealizedReturns == nil && v.RealizedReturnsRef != "" {
		v.RealizedReturns = h.resolve(ctx, v.RealizedReturnsRef, false)
	}
	if v.Stress == nil && v.StressRef != "" {
		v.Stress = h.resolve(ctx, v.StressRef, true)
	}
	return v, nil
}

// resolve reads the blob ref names; nil when it is not a ref of this store,
// cannot be read, is not JSON, is null, or (with object) is not an object.
func (h *riskHub) resolve(ctx context.Context, ref string, object bool) json.RawMessage {
	name, ok := h.blobs.Name(ref)
	if !ok {
		return nil
	}
	b, err := h.blobs.Get(ctx, name)
	if err != nil {
		h.log.Warn("risk hub: could not resolve a snapshot reference", "ref", ref, "err", err)
		return nil
	}
	b = bytes.TrimSpace(b)
	switch {
	case !json.Valid(b), bytes.Equal(b, []byte("null")), object && (len(b) == 0 || b[0] != '{'):
		h.log.Warn("risk hub: a snapshot reference resolves to an unusable blob", "ref", ref)
		return nil
	}
	return b
}

// notFound is the answer of a read with no match: 404 E_SNAPSHOT_NOT_FOUND
// "snapshot not found" (spec §2.14).
func notFound(err error) error {
	if errors.Is(err, projections.ErrNotFound) {
		return errcode.Wrap(errcode.SnapshotNotFound, err, "snapshot not found")
	}
	return err
}

// latestSnapshot returns the latest usable snapshot of world passing f (D12).
func (h *riskHub) latestSnapshot(ctx context.Context, world string, f projections.SnapshotFilter) (*events.RiskSnapshotRecorded, error) {
	now := h.now()
	e, err := h.latest.Latest(ctx, world, now, f)
	if err != nil {
		return nil, notFound(err)
	}
	s, err := h.timeline.Stored(ctx, world, e.Version)
	if errors.Is(err, projections.ErrNotFound) {
		// The latest index is ahead of the timeline by an event or two:
		// the timeline's subscription will fold it in a moment.
		s, err = h.waitForStored(ctx, world, e.Version)
	}
	return s, notFound(err)
}

// waitForStored retries the timeline briefly for a snapshot another read
// model already knows.
func (h *riskHub) waitForStored(ctx context.Context, world, version string) (*events.RiskSnapshotRecorded, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		s, err := h.timeline.Stored(ctx, world, version)
		if !errors.Is(err, projections.ErrNotFound) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-t.C:
		}
	}
}

// listSnapshots returns the newest limit usable snapshots of world passing
// f, oldest first (D18).
func (h *riskHub) listSnapshots(ctx context.Context, world string, f projections.SnapshotFilter, limit int) ([]*events.RiskSnapshotRecorded, error) {
	return h.timeline.List(ctx, world, h.now(), f, limit)
}

// snapshotByVersion returns the usable snapshot of world and version.
func (h *riskHub) snapshotByVersion(ctx context.Context, world, version string) (*events.RiskSnapshotRecorded, error) {
	s, err := h.timeline.Snapshot(ctx, world, version, h.now())
	return s, notFound(err)
}

// snapshotAsOf returns the greatest usable snapshot of world whose as_of is
// at or before asOf (D12).
func (h *riskHub) snapshotAsOf(ctx context.Context, world string, asOf time.Time) (*events.RiskSnapshotRecorded, error) {
	s, err := h.timeline.AsOf(ctx, world, asOf, h.now())
	return s, notFound(err)
}

// Resolve returns the content of the blob ref names, for the workers, which
// always resolve references (D17). It makes the hub a
// [handlers.BlobResolver]: hand it to [handlers.WithBlobResolver].
func (h *riskHub) Resolve(ctx context.Context, ref string) ([]byte, error) {
	name, ok := h.blobs.Name(ref)
	if !ok {
		return nil, fmt.Errorf("%q is not a reference of this hub's blob store: %w", ref, blobstore.ErrNotFound)
	}
	return h.blobs.Get(ctx, name)
}

var _ handlers.BlobResolver = (*riskHub)(nil)
