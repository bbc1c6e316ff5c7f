package events

import (
	"encoding/json"
	"fmt"
)

// Event type of the risk-snapshot ledger (stream risk-snapshot/{world}).
const TypeRiskSnapshotRecorded = "RiskSnapshotRecorded"

// Ingress values of [RiskSnapshotRecorded.Ingress].
const (
	IngressHTTP  = "http"
	IngressKafka = "kafka"
)

// RiskSnapshotRecorded records that a new (world_id, version) snapshot passed
// the snapshot contract (risk-hub spec §2) and entered the world's ledger. A
// re-sent snapshot with the same hash appends nothing; a different hash for a
// recorded version is refused, so a version appears at most once per stream.
//
// Large members are offloaded to the blob store before the append: then the
// inline field is absent, its *Ref field names the blob and Offloaded says so.
// Hash covers the canonical form of what the producer sent (§2.11), which is
// independent of offloading.
type RiskSnapshotRecorded struct {
	// WorldID is the world the snapshot belongs to (the path parameter on
	// HTTP).
	WorldID string `json:"world_id"`
	// Version identifies the snapshot within its world, forever.
	Version string `json:"version"`
	// AsOf is the market time the snapshot describes, exactly as sent (it is
	// part of the hash).
	AsOf string `json:"as_of"`
	// AsOfInstant is AsOf parsed and written as RFC 3339 with nanoseconds in
	// UTC; every ordering and comparison uses it.
	AsOfInstant string `json:"as_of_instant"`
	// Hash is "sha256:" and the lowercase hex digest of the canonical form.
	Hash string `json:"hash"`
	// CreatedAt is when the snapshot was recorded (whole seconds, "Z"); on
	// Kafka ingress it is the producer's original recording time when given.
	CreatedAt string `json:"created_at"`
	// TTLSec is the snapshot's lifetime in seconds from CreatedAt (≥ 1).
	TTLSec int64 `json:"ttl_sec"`
	// ExpiresAt is CreatedAt + TTLSec; the snapshot is expired strictly after
	// this instant.
	ExpiresAt string `json:"expires_at"`
	// Weights maps strategy id to portfolio weight (finite; may be negative).
	Weights map[string]float64 `json:"weights"`
	// Covariance maps "a,b" or "a:b" to a covariance entry, when inline.
	Covariance map[string]float64 `json:"covariance,omitempty"`
	// CovarianceRef names the covariance blob, when offloaded or sent as a
	// reference.
	CovarianceRef string `json:"covariance_ref,omitempty"`
	// RealizedReturns holds realized return series, when inline.
	RealizedReturns *RealizedReturns `json:"realized_returns,omitempty"`
	// RealizedReturnsRef names the realized-returns blob.
	RealizedReturnsRef string `json:"realized_returns_ref,omitempty"`
	// Stress holds free-form scenario results (shapes in spec §2.9), when
	// inline. Number literals are kept as sent.
	Stress json.RawMessage `json:"stress,omitempty"`
	// StressRef names the stress blob.
	StressRef string `json:"stress_ref,omitempty"`
	// Constraints holds free-form portfolio constraints
	// (candidate_weight, candidate_weight_default, candidate_weight_pct, …).
	Constraints json.RawMessage `json:"constraints,omitempty"`
	// Provenance is the provenance object; it always holds non-empty string
	// members "actor" and "stage" (see [RiskSnapshotRecorded.Actor] and
	// [RiskSnapshotRecorded.Stage]); other members are free-form.
	Provenance json.RawMessage `json:"provenance"`
	// Ingress is [IngressHTTP] or [IngressKafka].
	Ingress string `json:"ingress"`
	// SourceEventID is the CloudEvents id of the Kafka message the snapshot
	// came from (Kafka ingress only).
	SourceEventID string `json:"source_event_id,omitempty"`
	// Offloaded says which members the hub moved to the blob store.
	Offloaded Offloaded `json:"offloaded"`
}

// Offloaded says which snapshot members the hub moved to the blob store
// because they exceeded the inline threshold.
type Offloaded struct {
	Covariance      bool `json:"covariance"`
	RealizedReturns bool `json:"realized_returns"`
	Stress          bool `json:"stress"`
}

// Actor returns provenance.actor, or "" when it is absent or not a string.
func (r *RiskSnapshotRecorded) Actor() string { return provenanceString(r.Provenance, "actor") }

// Stage returns provenance.stage, or "" when it is absent or not a string.
func (r *RiskSnapshotRecorded) Stage() string { return provenanceString(r.Provenance, "stage") }

// SnapshotRef returns the reference other events use to name this snapshot.
func (r *RiskSnapshotRecorded) SnapshotRef() SnapshotRef {
	return SnapshotRef{Version: r.Version, Hash: r.Hash, AsOf: r.AsOf}
}

func provenanceString(raw json.RawMessage, key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[key], &s) != nil {
		return ""
	}
	return s
}

// SnapshotRef names the risk snapshot an event was derived from.
type SnapshotRef struct {
	Version string `json:"version"`
	Hash    string `json:"hash"`
	// AsOf is the snapshot's as_of as sent, where the event records it.
	AsOf string `json:"as_of,omitempty"`
}

// RiskSnapshotKey is the idempotency key of the [RiskSnapshotRecorded] event
// of (world, version, hash): risk_snapshot:{world}:{version}:{hash}.
func RiskSnapshotKey(world, version, hash string) string {
	return fmt.Sprintf("risk_snapshot:%s:%s:%s", world, version, hash)
}
