package processor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/worldval/worldval/aggregates/risksnapshot"
	"github.com/worldval/worldval/projections"
)

// hubWorldView is one world of GET /risk-hub/worlds: the world's newest
// snapshot, expired or not — the one the freshness probe measures for
// risk_hub_snapshot_lag_seconds (D19) — and how fresh it is.
type hubWorldView struct {
	WorldID string `json:"world_id"`
	// Version, AsOf, CreatedAt and Stage describe the newest snapshot
	// (greatest (as_of instant, created_at, version), D12).
	Version   string `json:"version"`
	AsOf      string `json:"as_of"`
	CreatedAt string `json:"created_at"`
	Stage     string `json:"stage"`
	// TTLSec and ExpiresAt are its lifetime; Expired says whether it is
	// expired at the answer's now.
	TTLSec    int64  `json:"ttl_sec"`
	ExpiresAt string `json:"expires_at"`
	Expired   bool   `json:"expired"`
	// LagSeconds is now − its as_of, in seconds: the value of
	// risk_hub_snapshot_lag_seconds at the answer's now.
	LagSeconds float64 `json:"lag_seconds"`
	// LatestVersion is the version GET …/snapshots/latest serves, absent
	// when the world has no usable (non-expired) snapshot.
	LatestVersion string `json:"latest_version,omitempty"`
}

// hubWorldsView is the answer of GET /risk-hub/worlds.
type hubWorldsView struct {
	// Now is the hub's clock when it answered (UTC, RFC 3339).
	Now string `json:"now"`
	// Worlds lists every world that recorded a snapshot, by world id.
	Worlds []hubWorldView `json:"worlds"`
}

// listHubWorlds answers GET /risk-hub/worlds: every world that recorded a
// snapshot, with the freshness of its newest one.
func (a *api) listHubWorlds(w http.ResponseWriter, r *http.Request) error {
	v, err := a.hub.worlds(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// worlds returns the freshness of every world that recorded a snapshot, read
// at one instant of the hub's clock.
func (h *riskHub) worlds(ctx context.Context) (hubWorldsView, error) {
	now := h.now()
	ids, err := h.latest.Worlds(ctx)
	if err != nil {
		return hubWorldsView{}, fmt.Errorf("list the hub's worlds: %w", err)
	}
	out := hubWorldsView{Now: risksnapshot.FormatInstant(now), Worlds: make([]hubWorldView, 0, len(ids))}
	for _, world := range ids {
		v, ok, err := h.worldFreshness(ctx, world, now)
		if err != nil {
			return hubWorldsView{}, err
		}
		if ok {
			out.Worlds = append(out.Worlds, v)
		}
	}
	slices.SortFunc(out.Worlds, func(a, b hubWorldView) int { return strings.Compare(a.WorldID, b.WorldID) })
	return out, nil
}

// worldFreshness returns the freshness of world at now; false when the read
// models do not know the world's newest snapshot (yet).
func (h *riskHub) worldFreshness(ctx context.Context, world string, now time.Time) (hubWorldView, bool, error) {
	head, err := h.latest.Head(ctx, world)
	if errors.Is(err, projections.ErrNotFound) {
		return hubWorldView{}, false, nil
	}
	if err != nil {
		return hubWorldView{}, false, err
	}
	s, err := h.timeline.Stored(ctx, world, head.Version)
	if errors.Is(err, projections.ErrNotFound) {
		// The latest index is ahead of the timeline by an event or two.
		s, err = h.waitForStored(ctx, world, head.Version)
	}
	if errors.Is(err, projections.ErrNotFound) {
		return hubWorldView{}, false, nil
	}
	if err != nil {
		return hubWorldView{}, false, fmt.Errorf("snapshot %s of world %s: %w", head.Version, world, err)
	}
	asOf, err := time.Parse(time.RFC3339Nano, head.AsOfInstant)
	if err != nil {
		return hubWorldView{}, false, fmt.Errorf("snapshot %s of world %s: as_of_instant: %w", head.Version, world, err)
	}
	v := hubWorldView{
		WorldID: world, Version: head.Version, AsOf: head.AsOf, CreatedAt: head.CreatedAt, Stage: head.Stage,
		TTLSec: s.TTLSec, ExpiresAt: s.ExpiresAt, Expired: risksnapshot.ExpiredAt(s, now),
		LagSeconds: now.Sub(asOf).Seconds(),
	}
	latest, err := h.latest.Latest(ctx, world, now, projections.SnapshotFilter{})
	switch {
	case err == nil:
		v.LatestVersion = latest.Version
	case !errors.Is(err, projections.ErrNotFound):
		return hubWorldView{}, false, fmt.Errorf("latest snapshot of world %s: %w", world, err)
	}
	return v, true, nil
}
