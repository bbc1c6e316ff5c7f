package handlers

import (
	"testing"

	"github.com/worldval/worldval/events"
)

// TestExtendedKnowsFailClosedAsOfEachTrigger: the extended validator tells
// whether a world is fail-closed as of a trigger's position, as the
// evaluator does (validation-core §6.7), from a cache it keeps current with
// the events it handles: a world read before its settings change is read
// again after it.
func TestExtendedKnowsFailClosedAsOfEachTrigger(t *testing.T) {
	f := newXFix(t)
	x := f.extended(t, ExtendedConfig{})
	seedWorld(t, f)
	before := f.head(t)
	if fc, err := x.settings.at(f.ctx, "w", before); err != nil || fc {
		t.Fatalf("before any settings: fail-closed %v, %v", fc, err)
	}
	f.settings(t, events.WorldSettingsUpdated{WorldID: "w", RiskProfile: &events.WorldRiskProfile{Tier: "high"}, ClientCritical: true})
	f.evaluated(t, "w", "s4", "r1", "backtest", `{"returns": {"sharpe": 1.1, "max_drawdown": -0.05}}`)
	f.pump(t)
	after := f.head(t)
	for _, tc := range []struct {
		at   uint64
		want bool
	}{{before, false}, {after, true}} {
		if fc, err := x.settings.at(f.ctx, "w", tc.at); err != nil || fc != tc.want {
			t.Fatalf("at %d: fail-closed %v, %v; want %v", tc.at, fc, err, tc.want)
		}
	}
	if evs := f.extendedOf(t, "w", "s4", "r1"); len(evs) != 1 {
		t.Fatalf("the run evaluated in the critical world has %d extended results, want 1", len(evs))
	}
}
