package risksnapshot

import (
	"fmt"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
)

// Entry is what the ledger keeps of one recorded version.
type Entry struct {
	// Hash is the recorded snapshot's hash.
	Hash string
	// StreamVersion is the version of its RiskSnapshotRecorded event in the
	// world's stream, so the stored snapshot can be read back in one read.
	StreamVersion uint64
}

// Ledger is the state of one world's snapshot ledger (stream
// risk-snapshot/{world}): every version ever recorded with its hash. A
// version is never reused (spec §2.12): expiry does not free it. The zero
// value is an empty ledger. It is a plain value: not safe for concurrent
// use; the repository serializes access.
type Ledger struct {
	worldID  string
	versions map[string]Entry
}

// Apply folds one RiskSnapshotRecorded event. A version recorded twice in
// one stream contradicts the ledger's invariant and is an error.
func (l *Ledger) Apply(rec *events.Record, payload any) error {
	p, ok := payload.(*events.RiskSnapshotRecorded)
	if !ok {
		return fmt.Errorf("risk snapshot ledger: unexpected event %s", rec.Type)
	}
	if l.versions == nil {
		l.versions = make(map[string]Entry)
	}
	if _, dup := l.versions[p.Version]; dup {
		return fmt.Errorf("risk snapshot ledger: version %q recorded twice", p.Version)
	}
	if l.worldID == "" {
		l.worldID = p.WorldID
	}
	l.versions[p.Version] = Entry{Hash: p.Hash, StreamVersion: rec.StreamVersion}
	return nil
}

// Len returns the number of recorded versions.
func (l *Ledger) Len() int { return len(l.versions) }

// Lookup returns the entry of version, if it was recorded.
func (l *Ledger) Lookup(version string) (Entry, bool) {
	e, ok := l.versions[version]
	return e, ok
}

// Decision is the ledger's answer to a snapshot (spec §2.12).
type Decision struct {
	// Replay is true when the version is recorded with the same hash: an
	// idempotent re-send that appends nothing (D5).
	Replay bool
	// Stored is the recorded entry when Replay is true.
	Stored Entry
}

// Decide checks a snapshot's identity: a new version is recordable, the
// same version with the same hash is a replay, and the same version with
// another hash is 409 E_SNAPSHOT_VERSION_CONFLICT with QMTL's message.
func (l *Ledger) Decide(world, version, hash string) (Decision, error) {
	e, ok := l.versions[version]
	switch {
	case !ok:
		return Decision{}, nil
	case e.Hash == hash:
		return Decision{Replay: true, Stored: e}, nil
	}
	return Decision{}, errcode.New(errcode.SnapshotVersionConflict,
		"snapshot version collision for world_id=%s version=%s", world, version).
		WithDetail("world_id", world).WithDetail("version", version)
}

// Record is the command that adds a snapshot to its world's ledger.
type Record struct {
	// Meta carries the time, actor, correlation and causation; the
	// idempotency key is derived from the snapshot (see
	// [events.RiskSnapshotKey]) and any key given is replaced.
	Meta events.Meta
	// Payload is the event as it will be stored, offloading applied.
	Payload events.RiskSnapshotRecorded
}

// Record decides the command: RiskSnapshotRecorded for a new version,
// nothing for a replay, or the conflict of [Ledger.Decide].
func (l *Ledger) Record(reg *events.Registry, cmd Record) ([]events.Event, error) {
	p := &cmd.Payload
	d, err := l.Decide(p.WorldID, p.Version, p.Hash)
	if err != nil || d.Replay {
		return nil, err
	}
	meta := cmd.Meta
	meta.IdempotencyKey = events.RiskSnapshotKey(p.WorldID, p.Version, p.Hash)
	meta.Index = 0
	ev, err := reg.New(p, meta)
	if err != nil {
		return nil, fmt.Errorf("record risk snapshot: %w", err)
	}
	return []events.Event{ev}, nil
}
