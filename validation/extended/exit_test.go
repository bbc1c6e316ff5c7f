package extended

import (
	"encoding/json"
	"testing"
)

// TestSnapshotExits uses the two-asset portfolio of twoAssets (VaR99 =
// 0.0336037379, ES99 = 0.0403244855). A VaR limit of 0.03 reduces the
// world by 1 − 0.03/0.0336037379 = 0.1072421735; an ES limit of 0.04 by
// 1 − 0.04/0.0403244855 = 0.0080468594.
func TestSnapshotExits(t *testing.T) {
	rules := ExitRules{
		VaR99Max: f64(0.03), ES99Max: f64(0.04),
		StressDD:          []ScenarioLimit{{Scenario: "crash", Max: 0.25}, {Scenario: "rates", Max: 0.1}},
		StressReduceRatio: 0.5,
		Freeze:            []string{"w"},
	}
	stress := json.RawMessage(`{"a": {"crash": {"max_drawdown": -0.3}}, "b": {"crash": {"max_drawdown": 0.2}, "rates": {"dd_max": 0.12}}}`)
	got := rules.SnapshotExits("w", twoAssets(true, 0), stress, []string{"b", "a"})
	want := []struct {
		strategy, rule, action string
		ratio                  float64
	}{
		{"*", ExitRuleManual, "freeze", 1},
		{"*", ExitRuleVaR, "reduce", 0.1072421734572494},
		{"*", ExitRuleES, "reduce", 0.008046859396943606},
		{"a", ExitRuleStressDD, "reduce", 0.5},
		{"b", ExitRuleStressDD, "reduce", 0.5},
	}
	if len(got) != len(want) {
		t.Fatalf("%d signals, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.StrategyID != w.strategy || g.RuleID != w.rule || g.Action != w.action {
			t.Errorf("signal %d: %s/%s/%s, want %s/%s/%s", i, g.StrategyID, g.RuleID, g.Action, w.strategy, w.rule, w.action)
		}
		near(t, "ratio of "+w.rule, g.ReductionRatio, w.ratio)
	}
	if m, _ := got[4].MetricsJSON(); string(m) != `{"rates.max_drawdown":0.12,"rates.dd_max":0.1}` {
		t.Errorf("stress metrics of b: %s", m)
	}
	if got[0].RequiresApproval || !got[1].RequiresApproval {
		t.Error("approval flags")
	}

	// A shared scenario map breaches once, for the whole world.
	shared := rules.SnapshotExits("other", nil, json.RawMessage(`{"crash": {"max_drawdown": 0.3}}`), []string{"a", "b"})
	if len(shared) != 1 || shared[0].StrategyID != ExitWorld || shared[0].RuleID != ExitRuleStressDD {
		t.Errorf("shared stress: %+v", shared)
	}
	// Limits met exactly, or no rules: nothing.
	calm := ExitRules{VaR99Max: f64(0.03360373788732438 + 1e-12)}
	if s := calm.SnapshotExits("w", twoAssets(true, 0), nil, nil); len(s) != 0 {
		t.Errorf("calm: %+v", s)
	}
	drain := ExitRules{Freeze: []string{"w"}, Drain: []string{"w"}}
	if s := drain.SnapshotExits("w", nil, nil, nil); len(s) != 1 || s[0].Action != "drain" {
		t.Errorf("drain wins: %+v", s)
	}
}

func TestLiveExits(t *testing.T) {
	r := ExitRules{LiveDDMax: f64(0.1), LiveDecayMin: f64(0.5), LiveDecayReduceRatio: 0.25}
	got := r.LiveExits([]LiveValues{
		{StrategyID: "s1", MaxDrawdown: f64(0.15), DecayRatio: f64(0.2)},
		{StrategyID: "s2", MaxDrawdown: f64(0.1), DecayRatio: f64(0.5)},
		{StrategyID: "s3"},
	})
	if len(got) != 2 || got[0].RuleID != ExitRuleLiveDD || got[0].Action != "freeze" || got[1].RuleID != ExitRuleLiveDecay || got[1].ReductionRatio != 0.25 {
		t.Errorf("live exits %+v", got)
	}
}
