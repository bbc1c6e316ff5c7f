package world

import (
	"fmt"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/policy"
)

// World is the state of one world's settings, folded from its stream. The
// zero World is a world whose settings were never set, which every reader
// treats as the record {id: world} (validation-core §10.7). A World is a
// plain value: it is not safe for concurrent mutation, and Apply is the only
// method that changes it.
type World struct {
	settings *events.WorldSettingsUpdated
	keys     map[string]bool // idempotency keys already applied
	version  uint64
}

// Settings returns the current settings, and false when none were ever set.
func (w *World) Settings() (events.WorldSettingsUpdated, bool) {
	if w.settings == nil {
		return events.WorldSettingsUpdated{}, false
	}
	return *w.settings, true
}

// HighTierCritical reports whether the world is high-tier critical: its
// risk profile's tier is high and the profile or the world is
// client-critical (validation-core §1). Such a world is evaluated
// fail-closed and its approved overrides are re-reviewed within 30 days.
func (w *World) HighTierCritical() bool {
	if w.settings == nil {
		return false
	}
	return HighTierCritical(*w.settings)
}

// HighTierCritical reports whether settings make a world high-tier
// critical (see [World.HighTierCritical]).
func HighTierCritical(s events.WorldSettingsUpdated) bool {
	var rp policy.RiskProfile
	if s.RiskProfile != nil {
		rp = policy.RiskProfile{Tier: s.RiskProfile.Tier, ClientCritical: s.RiskProfile.ClientCritical}
	}
	return rp.HighTierCritical(s.ClientCritical)
}

// Version returns the stream version of the last applied event (0: none).
func (w *World) Version() uint64 { return w.version }

// Apply folds one stored event into the state. Unknown event types are
// skipped; settings for another world than the stream's first are an error.
func (w *World) Apply(rec *events.Record, payload any) error {
	if e, ok := payload.(*events.WorldSettingsUpdated); ok {
		if w.settings != nil && e.WorldID != w.settings.WorldID {
			return fmt.Errorf("world %q: settings for world %q", w.settings.WorldID, e.WorldID)
		}
		s := *e
		w.settings = &s
	}
	if rec.IdempotencyKey != "" {
		if w.keys == nil {
			w.keys = make(map[string]bool)
		}
		w.keys[rec.IdempotencyKey] = true
	}
	w.version = rec.StreamVersion
	return nil
}
