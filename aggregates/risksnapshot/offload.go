package risksnapshot

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/worldval/worldval/events"
)

// Blob kinds, the <kind> of a blob name (D9).
const (
	KindCovariance = "covariance"
	KindRealized   = "realized"
	KindStress     = "stress"
)

// DefaultInlineThreshold is the default T of the offload rule (D24).
const DefaultInlineThreshold = 100

// Offload is one member the hub moves to the blob store.
type Offload struct {
	// Kind is [KindCovariance], [KindRealized] or [KindStress].
	Kind string
	// Name is the blob's world-scoped, content-addressed name (see
	// [BlobName]).
	Name string
	// Content is the member's canonical JSON (sorted keys, the hash's
	// number forms).
	Content []byte
}

// BlobName returns the name of a snapshot's blob of kind (D9):
// <world_id>/<version>/<kind>-<first 16 hex digits of the hash>.json. The
// world and version are percent-encoded as path segments, and "." and ".."
// are encoded too, so that no name can leave its world's prefix.
func BlobName(world, version, kind, hash string) string {
	digest := strings.TrimPrefix(hash, HashPrefix)
	if len(digest) > 16 {
		digest = digest[:16]
	}
	return WorldPrefix(world) + segment(version) + "/" + kind + "-" + digest + ".json"
}

// WorldPrefix returns the prefix every blob name of world starts with.
func WorldPrefix(world string) string { return segment(world) + "/" }

// segment escapes one path segment of a blob name.
func segment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(s)
}

// PlanOffload returns the members of p to offload under the rule of D24:
// covariance with more than threshold entries, realized returns with more
// than threshold points in all, stress with more than threshold top-level
// keys; each only when the producer sent no reference for it. The payload
// is not changed; see [ApplyOffload].
func PlanOffload(p *events.RiskSnapshotRecorded, threshold int) []Offload {
	var out []Offload
	if p.CovarianceRef == "" && len(p.Covariance) > threshold {
		var buf bytes.Buffer
		writePyFloatMap(&buf, p.Covariance)
		out = append(out, Offload{Kind: KindCovariance, Content: buf.Bytes()})
	}
	if r := p.RealizedReturns; p.RealizedReturnsRef == "" && r.Points() > threshold {
		s := Snapshot{RealizedReturns: r}
		out = append(out, Offload{Kind: KindRealized, Content: s.realizedJSON()})
	}
	if p.StressRef == "" && len(p.Stress) > 0 {
		if v, err := parseJSON(p.Stress); err == nil && v.kind == kindObject && len(v.obj) > threshold {
			out = append(out, Offload{Kind: KindStress, Content: canonicalFree(&v)})
		}
	}
	for i := range out {
		out[i].Name = BlobName(p.WorldID, p.Version, out[i].Kind, p.Hash)
	}
	return out
}

// ApplyOffload moves the planned members of p to their references: ref
// turns a blob name into the reference the blob store answers to.
func ApplyOffload(p *events.RiskSnapshotRecorded, plan []Offload, ref func(name string) string) {
	for _, o := range plan {
		switch o.Kind {
		case KindCovariance:
			p.Covariance, p.CovarianceRef, p.Offloaded.Covariance = nil, ref(o.Name), true
		case KindRealized:
			p.RealizedReturns, p.RealizedReturnsRef, p.Offloaded.RealizedReturns = nil, ref(o.Name), true
		case KindStress:
			p.Stress, p.StressRef, p.Offloaded.Stress = nil, ref(o.Name), true
		}
	}
}

// realizedJSON writes the realized returns in canonical form.
func (s *Snapshot) realizedJSON() []byte {
	var buf bytes.Buffer
	r := s.RealizedReturns
	if r.ByStrategy != nil {
		buf.WriteByte('{')
		for i, k := range sortedKeys(r.ByStrategy) {
			if i > 0 {
				buf.WriteByte(',')
			}
			writePyString(&buf, k)
			buf.WriteByte(':')
			writePyFloats(&buf, r.ByStrategy[k])
		}
		buf.WriteByte('}')
	} else {
		writePyFloats(&buf, r.Series)
	}
	return buf.Bytes()
}
