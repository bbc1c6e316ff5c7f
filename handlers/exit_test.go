package handlers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/extended"
)

func exitSignals(t *testing.T, f *xfix) []*events.ExitSignalEmitted {
	t.Helper()
	var out []*events.ExitSignalEmitted
	for _, r := range f.ofType(t, events.TypeExitSignalEmitted) {
		p, err := events.DecodeAs[events.ExitSignalEmitted](f.reg, &r.Event)
		if err != nil {
			t.Fatal(err)
		}
		if r.Stream != "exit-signal/w" || r.IdempotencyKey != events.ExitSignalKey("w", p.StrategyID, p.Snapshot.Hash, p.RuleID) || p.SignalID != r.ID {
			t.Errorf("signal envelope %s %s %s", r.Stream, r.IdempotencyKey, p.SignalID)
		}
		out = append(out, p)
	}
	return out
}

// TestExitEngine: the two-asset snapshot (baseline VaR99 = 0.0336037379,
// ES99 = 0.0403244855) breaches a VaR limit of 0.03 — reduce the world by
// 1 − 0.03/0.0336037379 = 0.1072421735 — and an ES limit of 0.04 — by
// 1 − 0.04/0.0403244855 = 0.0080468594; s1's crash drawdown 0.3 > 0.25
// reduces s1 by the configured 0.5. A live pass with live drawdown 0.01
// (the shortest window's, TestLiveMonitoring) > 0.005 freezes its strategy. Each signal is recorded once per snapshot,
// however often the events are handled.
func TestExitEngine(t *testing.T) {
	f := newXFix(t)
	varMax, esMax, liveDD := 0.03, 0.04, 0.005
	f.exit(t, ExitConfig{Rules: extended.ExitRules{
		VaR99Max: &varMax, ES99Max: &esMax, LiveDDMax: &liveDD,
		StressDD: []extended.ScenarioLimit{{Scenario: "crash", Max: 0.25}}, StressReduceRatio: 0.5,
	}})
	f.publish(t, "w", livePolicy)
	f.live(t, LiveConfig{Windows: []int{2, 4}})
	snap := f.snapshot(t, snapshotSpec{
		world: "w", version: "v1", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: twoAssetCov(),
		stress:   `{"s1": {"crash": {"max_drawdown": 0.3}}, "s2": {"crash": {"max_drawdown": 0.2}}}`,
		realized: &events.RealizedReturns{ByStrategy: map[string][]float64{"s1": {0.01, -0.02, 0.03, -0.01}}},
	})
	f.pump(t)
	got := exitSignals(t, f)
	want := []struct {
		strategy, rule, action string
		ratio                  float64
	}{
		{"*", "var_limit", "reduce", 0.1072421734572494},
		{"*", "es_limit", "reduce", 0.008046859396943606},
		{"s1", "stress_dd", "reduce", 0.5},
		{"s1", "live_dd", "freeze", 1}, // the shortest window of s1: drawdown 0.01
	}
	if len(got) != len(want) {
		t.Fatalf("%d signals, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.StrategyID != w.strategy || g.RuleID != w.rule || g.Action != w.action || !closeTo(g.ReductionRatio, w.ratio) || g.Snapshot.Hash != snap.Hash || g.WorldID != "w" {
			t.Errorf("signal %d: %+v, want %+v", i, g, w)
		}
	}
	var m map[string]float64
	if err := json.Unmarshal(got[0].Metrics, &m); err != nil || !closeTo(m["var_99"], 0.03360373788732438) || m["var_99_max"] != 0.03 {
		t.Errorf("var metrics %s", got[0].Metrics)
	}
	if got[0].ExpiresAt != snap.ExpiresAt || got[0].EmittedAt != "2026-03-01T12:00:00Z" || !got[0].RequiresApproval {
		t.Errorf("signal times %+v", got[0])
	}

	head := f.head(t)
	f.replay(t, 0)
	if h := f.head(t); h != head {
		t.Fatalf("re-delivery recorded %d more events", h-head)
	}
}

// TestExitEngineUsesThePolicysPortfolioConstants: a world whose default
// policy sets portfolio.z_99 to twice the service's 2.33 has twice the
// baseline VaR99 (0.0672074758), so the same 0.03 limit asks for a larger
// reduction, 1 − 0.03/0.0672074758; a world whose policy is silent keeps
// the service's constants.
func TestExitEngineUsesThePolicysPortfolioConstants(t *testing.T) {
	varMax := 0.03
	for _, tc := range []struct {
		name   string
		policy string
		var99  float64
	}{
		{"policy silent", extendedPolicy, 0.03360373788732438},
		{"policy z_99 4.66", strings.Replace(extendedPolicy, `"portfolio": {`, `"portfolio": {"z_99": 4.66, `, 1), 2 * 0.03360373788732438},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newXFix(t)
			f.exit(t, ExitConfig{Rules: extended.ExitRules{VaR99Max: &varMax}})
			f.publish(t, "w", tc.policy)
			f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: twoAssetCov()})
			f.pump(t)
			got := exitSignals(t, f)
			if len(got) != 1 || got[0].RuleID != "var_limit" || !closeTo(got[0].ReductionRatio, 1-varMax/tc.var99) {
				t.Fatalf("signals %+v, want one var_limit reducing by %v", got, 1-varMax/tc.var99)
			}
			var m map[string]float64
			if err := json.Unmarshal(got[0].Metrics, &m); err != nil || !closeTo(m["var_99"], tc.var99) {
				t.Errorf("var metrics %s, want var_99 %v", got[0].Metrics, tc.var99)
			}
		})
	}
}
