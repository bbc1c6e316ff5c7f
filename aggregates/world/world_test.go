package world_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/world"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore/sqlite"
)

func pct(x float64) *float64 { return &x }

func update(key string, s events.WorldSettingsUpdated) world.UpdateSettings {
	return world.UpdateSettings{Meta: events.Meta{IdempotencyKey: key, OccurredAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Actor: "risk"}, Settings: s}
}

func critical() events.WorldSettingsUpdated {
	return events.WorldSettingsUpdated{
		WorldID:     "w1",
		RiskProfile: &events.WorldRiskProfile{Tier: " High ", MaxCapitalAtRiskPct: pct(2.5), ClientCritical: true},
		Validation:  &events.WorldValidation{OnError: "FAIL", OnMissingMetric: "fail"},
	}
}

func TestUpdateSettingsThroughTheRepository(t *testing.T) {
	ctx := context.Background()
	reg := events.Catalogue()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"), sqlite.WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	repo, err := aggregates.NewRepository(store, reg)
	if err != nil {
		t.Fatal(err)
	}
	stream, _ := events.WorldStream("w1")
	set := func(cmd world.UpdateSettings) (bool, error) {
		res, err := aggregates.Update(ctx, repo, stream, func(w *world.World) ([]events.Event, error) {
			return w.UpdateSettings(reg, cmd)
		})
		return res.Duplicate, err
	}

	if dup, err := set(update("k1", critical())); err != nil || dup {
		t.Fatalf("first update: %v %v", dup, err)
	}
	if dup, err := set(update("k1", events.WorldSettingsUpdated{WorldID: "w1"})); err != nil || !dup {
		t.Fatalf("retried key: %v %v", dup, err)
	}
	same := critical()
	same.UpdatedBy = "someone else"
	same.RiskProfile.Tier = "high"
	if dup, err := set(update("k2", same)); err != nil || !dup {
		t.Fatalf("same settings: %v %v", dup, err)
	}
	snap, err := aggregates.Load[world.World](ctx, repo, stream)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := snap.State.Settings()
	if !ok || !snap.State.HighTierCritical() || s.RiskProfile.Tier != "high" || s.Validation.OnError != "fail" || snap.Version != 1 {
		t.Fatalf("state %+v critical %v version %d", s, snap.State.HighTierCritical(), snap.Version)
	}

	medium := events.WorldSettingsUpdated{WorldID: "w1", RiskProfile: &events.WorldRiskProfile{Tier: "medium", ClientCritical: true}}
	if dup, err := set(update("k3", medium)); err != nil || dup {
		t.Fatalf("change: %v %v", dup, err)
	}
	snap, _ = aggregates.Load[world.World](ctx, repo, stream)
	if snap.State.HighTierCritical() || snap.Version != 2 {
		t.Fatalf("after change: critical %v version %d", snap.State.HighTierCritical(), snap.Version)
	}

	other := critical()
	other.WorldID = "w2"
	if _, err := set(update("k4", other)); errcode.CodeOf(err) != errcode.Validation {
		t.Fatalf("other world: %v", err)
	}
}

func TestCheckSettings(t *testing.T) {
	bad := events.WorldSettingsUpdated{
		WorldID:     "w1",
		RiskProfile: &events.WorldRiskProfile{Tier: "extreme", MaxCapitalAtRiskPct: pct(101)},
		Validation:  &events.WorldValidation{OnError: "ignore", OnMissingMetric: "skip"},
	}
	var w world.World
	_, err := w.UpdateSettings(events.Catalogue(), update("k", bad))
	e, ok := errcode.From(err)
	if !ok || e.Code != errcode.Validation {
		t.Fatalf("error %v", err)
	}
	ps, _ := e.Details["problems"].([]world.Problem)
	want := []string{"risk_profile.tier", "risk_profile.max_capital_at_risk_pct", "validation.on_error", "validation.on_missing_metric"}
	if len(ps) != len(want) {
		t.Fatalf("problems %+v", ps)
	}
	for i := range want {
		if ps[i].Path != want[i] {
			t.Fatalf("problem %d is %s, want %s", i, ps[i].Path, want[i])
		}
	}
	if _, err := w.UpdateSettings(events.Catalogue(), update("", critical())); errcode.CodeOf(err) != errcode.Validation {
		t.Fatalf("no key: %v", err)
	}
}

func TestHighTierCritical(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    events.WorldSettingsUpdated
		want bool
	}{
		{"no profile", events.WorldSettingsUpdated{ClientCritical: true}, false},
		{"high, profile critical", events.WorldSettingsUpdated{RiskProfile: &events.WorldRiskProfile{Tier: "high", ClientCritical: true}}, true},
		{"high, world critical", events.WorldSettingsUpdated{RiskProfile: &events.WorldRiskProfile{Tier: "high"}, ClientCritical: true}, true},
		{"high, not critical", events.WorldSettingsUpdated{RiskProfile: &events.WorldRiskProfile{Tier: "high"}}, false},
		{"low, critical", events.WorldSettingsUpdated{RiskProfile: &events.WorldRiskProfile{Tier: "low", ClientCritical: true}}, false},
	} {
		if got := world.HighTierCritical(tc.s); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	var zero world.World
	if zero.HighTierCritical() {
		t.Error("a world without settings is high-tier critical")
	}
}
