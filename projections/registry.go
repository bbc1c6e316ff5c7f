package projections

import (
	"fmt"

	"github.com/worldval/worldval/events"
)

// Names returns the stable names of every projection of this package, in
// the order they are best rebuilt (runs first: the as-of reader can use
// them as an index).
func Names() []string {
	return []string{RunCurrentName, RunHistoryName, PoliciesName, ApprovedOverridesName, InvariantsName, SnapshotTimelineName, SnapshotLatestName}
}

// New builds the projection called name over store, for commands that name
// a projection (worldval projections rebuild NAME). An unknown name is an
// error listing the known ones.
func New(name string, store Store, reg *events.Registry) (Projection, error) {
	switch name {
	case RunCurrentName:
		return NewRunCurrent(store, reg)
	case RunHistoryName:
		return NewRunHistory(store, reg)
	case PoliciesName:
		return NewPolicies(store, reg)
	case ApprovedOverridesName:
		return NewApprovedOverrides(store, reg)
	case InvariantsName:
		return NewInvariants(store, reg)
	case SnapshotTimelineName:
		return NewSnapshotTimeline(store, reg)
	case SnapshotLatestName:
		return NewSnapshotLatest(store, reg)
	}
	return nil, fmt.Errorf("unknown projection %q (known: %v)", name, Names())
}
