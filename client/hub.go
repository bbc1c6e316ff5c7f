package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Error codes of the risk hub's routes.
const (
	// CodeSnapshotInvalid: the snapshot breaks the contract; the message
	// is the contract's ("weights must sum to ~1.0", "unknown field x", …).
	CodeSnapshotInvalid = "E_SNAPSHOT_INVALID"
	// CodeSnapshotHashMismatch: the snapshot's hash is not the hash of its
	// canonical form; details.computed holds the hub's.
	CodeSnapshotHashMismatch = "E_SNAPSHOT_HASH_MISMATCH"
	// CodeSnapshotVersionConflict: the world recorded the version with
	// another hash; a version is never reused, publish a new one.
	CodeSnapshotVersionConflict = "E_SNAPSHOT_VERSION_CONFLICT"
	// CodeSnapshotExpired: the snapshot was expired on arrival.
	CodeSnapshotExpired = "E_SNAPSHOT_EXPIRED"
	// CodeSnapshotNotFound: no usable (non-expired) snapshot matches.
	CodeSnapshotNotFound = "E_SNAPSHOT_NOT_FOUND"
	// CodeSnapshotBlobNotFound: a reference names a blob the hub's blob
	// store does not hold.
	CodeSnapshotBlobNotFound = "E_SNAPSHOT_BLOB_NOT_FOUND"
)

// RiskSnapshot is a portfolio risk snapshot as the hub recorded it (risk-hub
// spec §2.14). Members the hub moved to its blob store are references
// (CovarianceRef, RealizedReturnsRef, StressRef) and their inline member is
// absent.
type RiskSnapshot struct {
	// WorldID is the snapshot's world.
	WorldID string `json:"world_id"`
	// AsOf is the market time the snapshot describes, as the producer
	// wrote it.
	AsOf string `json:"as_of"`
	// Version identifies the snapshot in its world, for ever.
	Version string `json:"version"`
	// Weights maps strategy id to portfolio weight.
	Weights map[string]float64 `json:"weights"`
	// Covariance holds the inline covariance ("a,b" → value), absent
	// when offloaded or not sent.
	Covariance json.RawMessage `json:"covariance,omitempty"`
	// CovarianceRef references the covariance in the hub's blob store.
	CovarianceRef string `json:"covariance_ref,omitempty"`
	// RealizedReturns holds the inline realized returns (series per
	// strategy, or one series).
	RealizedReturns json.RawMessage `json:"realized_returns,omitempty"`
	// RealizedReturnsRef references the realized returns in the blob store.
	RealizedReturnsRef string `json:"realized_returns_ref,omitempty"`
	// Stress holds the inline stress results.
	Stress json.RawMessage `json:"stress,omitempty"`
	// StressRef references the stress results in the blob store.
	StressRef string `json:"stress_ref,omitempty"`
	// Constraints holds the free-form constraints.
	Constraints json.RawMessage `json:"constraints,omitempty"`
	// Provenance always has "actor" and "stage" (the X-Actor and X-Stage
	// headers of the publication).
	Provenance map[string]any `json:"provenance"`
	// CreatedAt is when the hub recorded the snapshot (whole seconds).
	CreatedAt time.Time `json:"created_at"`
	// Hash is the SHA-256 of the snapshot's canonical form,
	// "sha256:<64 hex digits>".
	Hash string `json:"hash"`
	// TTLSec is the snapshot's lifetime from CreatedAt, in seconds: it is
	// expired strictly after CreatedAt + TTLSec.
	TTLSec int64 `json:"ttl_sec"`
}

// PublishedSnapshot is the answer to [Client.PublishSnapshot].
type PublishedSnapshot struct {
	// RiskSnapshot is the snapshot as recorded; for a re-send, the one
	// recorded first (its original CreatedAt).
	RiskSnapshot
	// Replay is true when the world had recorded this version with the
	// same hash already: the hub stored and published nothing (the answer
	// carried Idempotent-Replay: true).
	Replay bool `json:"-"`
}

// PublishSnapshot records snapshot, a JSON object of the snapshot contract
// (risk-hub spec §2.1), for world (POST /risk-hub/worlds/{world}/snapshots,
// scope hub:write), with actor and stage as the X-Actor and X-Stage headers.
// The body is sent as it is: a hash in it must be the hash of its canonical
// form, ttl_sec defaults to the service's risk_hub.ttl_sec_default, and
// members above risk_hub.inline_cov_threshold are moved to the blob store by
// the hub itself. Re-sending a recorded version with the same hash is
// harmless and answers the stored snapshot with Replay set, so the call is
// retried while the service answers 503. A refusal is an [*APIError] with
// one of the Code* constants of the hub.
func (c *Client) PublishSnapshot(ctx context.Context, world string, snapshot []byte, actor, stage string) (*PublishedSnapshot, error) {
	path := hubWorldPath(world) + "/snapshots"
	// The route needs headers of its own both ways (X-Actor and X-Stage
	// in, Idempotent-Replay out), which [Client.do] does not carry; the
	// retry loop is the same.
	wait := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		out, retryAfter, err := c.postSnapshot(ctx, path, snapshot, actor, stage)
		var ae *APIError
		if attempt >= c.retries || !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable {
			return out, err
		}
		d := wait
		if retryAfter > 0 {
			d = retryAfter
		}
		if err := sleep(ctx, jitter(d)); err != nil {
			return nil, fmt.Errorf("%w (gave up waiting to retry: %w)", ae, err)
		}
		wait = min(2*wait, maxRetryAfter)
	}
}

// postSnapshot sends one snapshot publication. It returns the answer, the
// Retry-After of a 503 (0 when absent) and the error.
func (c *Client) postSnapshot(ctx context.Context, path string, snapshot []byte, actor, stage string) (*PublishedSnapshot, time.Duration, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(snapshot))
	if err != nil {
		return nil, 0, fmt.Errorf("POST %s: %w", path, err)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("User-Agent", userAgent)
	hr.Header.Set("X-Actor", actor)
	hr.Header.Set("X-Stage", stage)
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, 0, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, 0, fmt.Errorf("POST %s: read the answer: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, retryAfter(resp.Header.Get("Retry-After")), decodeAPIError(resp.StatusCode, data)
	}
	out := &PublishedSnapshot{Replay: resp.Header.Get("Idempotent-Replay") == "true"}
	if err := json.Unmarshal(data, &out.RiskSnapshot); err != nil {
		return nil, 0, fmt.Errorf("POST %s: decode the answer: %w", path, err)
	}
	return out, 0, nil
}

// HubWorld is the freshness of one world's risk snapshots, measured on its
// newest snapshot, expired or not (the one risk_hub_snapshot_lag_seconds
// measures).
type HubWorld struct {
	// WorldID is the world.
	WorldID string `json:"world_id"`
	// Version, AsOf, CreatedAt and Stage describe the newest snapshot:
	// the greatest (as_of, created_at, version).
	Version   string    `json:"version"`
	AsOf      string    `json:"as_of"`
	CreatedAt time.Time `json:"created_at"`
	Stage     string    `json:"stage"`
	// TTLSec is its lifetime in seconds; ExpiresAt is CreatedAt + TTLSec.
	TTLSec    int64     `json:"ttl_sec"`
	ExpiresAt time.Time `json:"expires_at"`
	// Expired says whether it was expired at [HubWorlds.Now].
	Expired bool `json:"expired"`
	// LagSeconds is Now − as_of in seconds, not rounded.
	LagSeconds float64 `json:"lag_seconds"`
	// LatestVersion is the version readers get as the world's latest
	// snapshot, "" when the world has no usable (non-expired) snapshot.
	LatestVersion string `json:"latest_version,omitempty"`
}

// Lag returns LagSeconds as a duration.
func (w *HubWorld) Lag() time.Duration {
	return time.Duration(w.LagSeconds * float64(time.Second))
}

// HubWorlds is the answer to [Client.HubWorlds].
type HubWorlds struct {
	// Now is the service's clock when it answered; every lag and expiry
	// is measured at it.
	Now time.Time `json:"now"`
	// Worlds lists every world that recorded a snapshot, by world id.
	Worlds []HubWorld `json:"worlds"`
}

// HubWorlds lists every world that recorded a risk snapshot with the
// freshness of its newest one (GET /risk-hub/worlds, scope read).
func (c *Client) HubWorlds(ctx context.Context) (*HubWorlds, error) {
	var out HubWorlds
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/risk-hub/worlds", retry: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// hubWorldPath returns the escaped path of a world of the risk hub.
func hubWorldPath(world string) string {
	return "/risk-hub/worlds/" + url.PathEscape(world)
}
