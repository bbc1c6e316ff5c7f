package risksnapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/worldval/worldval/events"
)

// HashPrefix starts every snapshot hash: only SHA-256 is supported (D1).
const HashPrefix = "sha256:"

// Snapshot is a risk snapshot that passed the contract, normalized as the
// hash sees it (spec §2.11): world_id from the path, ttl_sec defaulted, refs
// trimmed, realized returns as floats, provenance merged with the actor and
// stage, and empty covariance, stress or constraints objects dropped.
type Snapshot struct {
	// WorldID is the snapshot's world.
	WorldID string
	// AsOf is the as_of string as sent; AsOfInstant is its parsed instant.
	AsOf        string
	AsOfInstant time.Time
	// Version identifies the snapshot within its world.
	Version string
	// Weights maps strategy id to weight; every weight is finite.
	Weights map[string]float64
	// Covariance holds the inline covariance entries, nil when absent.
	Covariance map[string]float64
	// CovarianceRef is the trimmed covariance reference, "" when absent.
	CovarianceRef string
	// RealizedReturns holds the inline realized returns, nil when absent.
	RealizedReturns *events.RealizedReturns
	// RealizedReturnsRef is the trimmed realized-returns reference.
	RealizedReturnsRef string
	// Stress is the inline stress object in canonical form, nil when absent.
	Stress json.RawMessage
	// StressRef is the trimmed stress reference.
	StressRef string
	// Constraints is the constraints object in canonical form, nil when
	// absent.
	Constraints json.RawMessage
	// TTLSec is the lifetime in seconds, defaulted.
	TTLSec int64
	// Provenance is the provenance object in canonical form, always with
	// "actor" and "stage".
	Provenance json.RawMessage
	// Actor and Stage are provenance.actor and provenance.stage.
	Actor, Stage string
	// Hash is the canonical hash, "sha256:" and 64 lowercase hex digits.
	Hash string
	// CreatedAt is the producer's created_at, honoured on Kafka ingress
	// only (D4); zero when absent.
	CreatedAt time.Time
}

// Canonical returns the canonical form the hash covers (D1): the members
// world_id, as_of, version, weights, covariance, covariance_ref,
// realized_returns, realized_returns_ref, stress, stress_ref, constraints,
// ttl_sec and provenance, each only when present, with sorted keys at every
// depth, written byte-compatibly with Python's json.dumps(sort_keys=True,
// separators=(",", ":")).
func (s *Snapshot) Canonical() ([]byte, error) {
	var buf bytes.Buffer
	// The members in sorted order, as sort_keys writes them.
	buf.WriteString(`{"as_of":`)
	writePyString(&buf, s.AsOf)
	if err := writeRawMember(&buf, "constraints", s.Constraints); err != nil {
		return nil, err
	}
	if len(s.Covariance) > 0 {
		buf.WriteString(`,"covariance":`)
		writePyFloatMap(&buf, s.Covariance)
	}
	writeStringMember(&buf, "covariance_ref", s.CovarianceRef)
	if err := writeRawMember(&buf, "provenance", s.Provenance); err != nil {
		return nil, err
	}
	if r := s.RealizedReturns; r != nil && (r.ByStrategy != nil || r.Series != nil) {
		buf.WriteString(`,"realized_returns":`)
		buf.Write(s.realizedJSON())
	}
	writeStringMember(&buf, "realized_returns_ref", s.RealizedReturnsRef)
	if err := writeRawMember(&buf, "stress", s.Stress); err != nil {
		return nil, err
	}
	writeStringMember(&buf, "stress_ref", s.StressRef)
	fmt.Fprintf(&buf, `,"ttl_sec":%d,"version":`, s.TTLSec)
	writePyString(&buf, s.Version)
	buf.WriteString(`,"weights":`)
	writePyFloatMap(&buf, s.Weights)
	buf.WriteString(`,"world_id":`)
	writePyString(&buf, s.WorldID)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// ComputeHash returns "sha256:" and the hex SHA-256 of [Snapshot.Canonical].
func (s *Snapshot) ComputeHash() (string, error) {
	c, err := s.Canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return HashPrefix + hex.EncodeToString(sum[:]), nil
}

func writeStringMember(buf *bytes.Buffer, name, v string) {
	if v == "" {
		return
	}
	buf.WriteString(`,"` + name + `":`)
	writePyString(buf, v)
}

// writeRawMember writes a free-form member from its stored JSON, re-parsed
// so that the bytes are canonical whatever their stored formatting. A
// missing member, null and an empty object are absent; provenance is never
// empty.
func writeRawMember(buf *bytes.Buffer, name string, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	v, err := parseJSON(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if v.kind == kindNull || (v.kind == kindObject && len(v.obj) == 0 && name != "provenance") {
		return nil
	}
	if !checkFree(&v) {
		return fmt.Errorf("%s contains non-finite value", name)
	}
	buf.WriteString(`,"` + name + `":`)
	writePyFree(buf, &v)
	return nil
}

// canonicalFree returns the canonical form of a free-form value.
func canonicalFree(v *value) json.RawMessage {
	var buf bytes.Buffer
	writePyFree(&buf, v)
	return buf.Bytes()
}

// FromRecorded rebuilds the hashed snapshot from a recorded event whose
// offloaded members have been resolved back into it (see [Resolved]), so
// that a consumer can verify the recorded hash with [Snapshot.ComputeHash].
// Refs the hub added when offloading are not part of the hash and are
// dropped; refs the producer sent are kept.
func FromRecorded(p *events.RiskSnapshotRecorded, r Resolved) (*Snapshot, error) {
	instant, err := ParseTimestamp(p.AsOf)
	if err != nil {
		return nil, fmt.Errorf("as_of %q: %w", p.AsOf, err)
	}
	s := &Snapshot{
		WorldID: p.WorldID, AsOf: p.AsOf, AsOfInstant: instant, Version: p.Version,
		Weights: p.Weights, Covariance: p.Covariance, CovarianceRef: p.CovarianceRef,
		RealizedReturns: p.RealizedReturns, RealizedReturnsRef: p.RealizedReturnsRef,
		Stress: p.Stress, StressRef: p.StressRef, Constraints: p.Constraints,
		TTLSec: p.TTLSec, Provenance: p.Provenance, Actor: p.Actor(), Stage: p.Stage(), Hash: p.Hash,
	}
	if p.Offloaded.Covariance {
		s.Covariance, s.CovarianceRef = r.Covariance, ""
	}
	if p.Offloaded.RealizedReturns {
		s.RealizedReturns, s.RealizedReturnsRef = r.RealizedReturns, ""
	}
	if p.Offloaded.Stress {
		s.Stress, s.StressRef = r.Stress, ""
	}
	return s, nil
}

// Resolved holds the content of offloaded members, read back from the blob
// store.
type Resolved struct {
	Covariance      map[string]float64
	RealizedReturns *events.RealizedReturns
	Stress          json.RawMessage
}
