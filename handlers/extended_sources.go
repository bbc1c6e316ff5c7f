package handlers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// RunSource lists the runs of a world for the extended layers: cohorts,
// world-wide targets and the fallback baseline. Implementations must be
// safe for concurrent use.
type RunSource interface {
	// EvaluatedRuns returns every evaluated run of world, in submission
	// order; a world without runs has none.
	EvaluatedRuns(ctx context.Context, world string) ([]projections.RunView, error)
}

// RunViewSource is the [RunSource] of the run read model.
type RunViewSource struct {
	// Runs is the run read model; it is only read.
	Runs *projections.RunCurrent
}

// EvaluatedRuns implements [RunSource].
func (s RunViewSource) EvaluatedRuns(ctx context.Context, world string) ([]projections.RunView, error) {
	q := projections.ListQuery{Status: projections.StatusEvaluated, Limit: projections.MaxListLimit}
	var out []projections.RunView
	for {
		page, err := s.Runs.List(ctx, world, q)
		if err != nil {
			return nil, fmt.Errorf("list evaluated runs of %s: %w", world, err)
		}
		out = append(out, page.Runs...)
		if page.NextCursor == "" {
			return out, nil
		}
		q.Cursor = page.NextCursor
	}
}

// BlobResolver reads the content of an offloaded snapshot member (a
// covariance, realized-returns or stress blob) by the reference the
// snapshot records. Workers always resolve references (D17).
// Implementations must be safe for concurrent use.
type BlobResolver interface {
	// Resolve returns the blob's JSON content.
	Resolve(ctx context.Context, ref string) ([]byte, error)
}

// hubData is what a worker reads from a snapshot, references resolved.
type hubData struct {
	snap        *events.RiskSnapshotRecorded
	weights     map[string]float64
	covariance  map[string]float64
	realized    *events.RealizedReturns
	stress      json.RawMessage
	constraints json.RawMessage
	// unresolved lists the references that could not be read; their
	// members count as absent (spec §2.10).
	unresolved []string
}

// resolveSnapshot returns the members of snap with its references resolved
// through blobs: covariance when not inline, realized returns replacing
// inline data, stress only when not inline. A nil resolver, or a failing
// one, leaves the member absent and lists its reference as unresolved.
func resolveSnapshot(ctx context.Context, blobs BlobResolver, snap *events.RiskSnapshotRecorded) *hubData {
	if snap == nil {
		return nil
	}
	d := &hubData{snap: snap, weights: snap.Weights, covariance: snap.Covariance, realized: snap.RealizedReturns, stress: snap.Stress, constraints: snap.Constraints}
	read := func(ref string, into any) bool {
		if blobs == nil {
			d.unresolved = append(d.unresolved, ref)
			return false
		}
		raw, err := blobs.Resolve(ctx, ref)
		if err == nil {
			err = json.Unmarshal(raw, into)
		}
		if err != nil {
			d.unresolved = append(d.unresolved, ref)
			return false
		}
		return true
	}
	if len(d.covariance) == 0 && snap.CovarianceRef != "" {
		var cov map[string]float64
		if read(snap.CovarianceRef, &cov) {
			d.covariance = cov
		}
	}
	if snap.RealizedReturnsRef != "" {
		var rr events.RealizedReturns
		d.realized = nil // the reference replaces inline data
		if read(snap.RealizedReturnsRef, &rr) {
			d.realized = &rr
		}
	}
	if len(d.stress) == 0 && snap.StressRef != "" {
		var raw json.RawMessage
		if read(snap.StressRef, &raw) {
			d.stress = raw
		}
	}
	return d
}

// snapshotRef returns the JSON {version, hash} of a snapshot, or null.
func snapshotRef(snap *events.RiskSnapshotRecorded) json.RawMessage {
	if snap == nil {
		return json.RawMessage("null")
	}
	b, _ := json.Marshal(struct {
		Version string `json:"version"`
		Hash    string `json:"hash"`
	}{snap.Version, snap.Hash}) // two strings always encode
	return b
}
