package risksnapshot

import (
	"time"

	"github.com/worldval/worldval/events"
)

// Recorded returns the payload of the RiskSnapshotRecorded event for s,
// recorded at createdAt through ingress (events.IngressHTTP or
// events.IngressKafka; sourceEventID is the Kafka message's CloudEvents id).
// Nothing is offloaded yet; see [PlanOffload].
func (s *Snapshot) Recorded(createdAt time.Time, ingress, sourceEventID string) events.RiskSnapshotRecorded {
	return events.RiskSnapshotRecorded{
		WorldID:            s.WorldID,
		Version:            s.Version,
		AsOf:               s.AsOf,
		AsOfInstant:        FormatInstant(s.AsOfInstant),
		Hash:               s.Hash,
		CreatedAt:          FormatInstant(createdAt),
		TTLSec:             s.TTLSec,
		ExpiresAt:          FormatInstant(ExpiresAt(createdAt, s.TTLSec)),
		Weights:            s.Weights,
		Covariance:         s.Covariance,
		CovarianceRef:      s.CovarianceRef,
		RealizedReturns:    s.RealizedReturns,
		RealizedReturnsRef: s.RealizedReturnsRef,
		Stress:             s.Stress,
		StressRef:          s.StressRef,
		Constraints:        s.Constraints,
		Provenance:         s.Provenance,
		Ingress:            ingress,
		SourceEventID:      sourceEventID,
	}
}

// ExpiresAt returns the instant a snapshot created at createdAt with a TTL of
// ttlSec seconds expires after.
func ExpiresAt(createdAt time.Time, ttlSec int64) time.Time {
	return createdAt.Add(time.Duration(ttlSec) * time.Second)
}

// Expired reports whether a snapshot that expires after expiresAt is expired
// at now: strictly after it (spec §2.5).
func Expired(expiresAt, now time.Time) bool {
	return now.After(expiresAt)
}

// ExpiredAt reports whether the recorded snapshot p is expired at now. A
// payload whose expires_at does not parse counts as expired: nothing
// unreadable is served as fresh.
func ExpiredAt(p *events.RiskSnapshotRecorded, now time.Time) bool {
	t, err := time.Parse(time.RFC3339Nano, p.ExpiresAt)
	return err != nil || Expired(t, now)
}
