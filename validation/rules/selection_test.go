package rules

import (
	"reflect"
	"testing"
)

func TestCorrelationConstraint(t *testing.T) {
	p := pol(t, "correlation: {max: 0.5}\ntop_k: {metric: sharpe, k: 3}")
	out := EvaluateSet(p, SetInput{
		Candidates: []Candidate{
			{StrategyID: "c", Metrics: doc("sharpe", 0.1)},
			{StrategyID: "a", Metrics: doc("sharpe", 0.3)},
			{StrategyID: "b", Metrics: doc("sharpe", 0.2)},
		},
		// Pairs in either order; the later duplicate wins.
		Correlations: []Correlation{{A: "b", B: "a", Rho: 0.1}, {A: "a", B: "b", Rho: -0.9}, {A: "c", B: "a", Rho: 0.2}},
	})
	if !reflect.DeepEqual(out.Selected, []string{"a", "c"}) {
		t.Fatalf("selected %v", out.Selected)
	}
	b := out.Strategies[2]
	r, _ := b.Validation.Results.Get(RiskConstraint)
	if r.Status != Fail || r.ReasonCode != "correlation_constraint_failed" || r.Severity != "blocking" || r.Owner != "risk" {
		t.Errorf("b: %+v", r)
	}
	if got := r.Details.Map()["blocked_by"]; !reflect.DeepEqual(got, []blocker{{StrategyID: "a", Correlation: -0.9}}) {
		t.Errorf("blocked_by %#v", got)
	}
	if r.Reason != "Correlation exceeds max 0.5" {
		t.Errorf("reason %q", r.Reason)
	}
	if b.Summary.Active || b.Summary.Status != Fail || !reflect.DeepEqual(b.Summary.ActiveSet, []string{"a", "c"}) {
		t.Errorf("b summary %+v", b.Summary)
	}
	// Ranks follow the top-k order: a (0), b (1), c (2).
	for i, want := range []int{2, 0, 1} {
		perf, _ := out.Strategies[i].Validation.Results.Get(Performance)
		if perf.Details.Map()["rank"] != want {
			t.Errorf("%s rank %v want %d", out.Strategies[i].StrategyID, perf.Details.Map()["rank"], want)
		}
	}
	// Without correlations the constraint is configured but inert.
	out = EvaluateSet(p, SetInput{Candidates: []Candidate{{StrategyID: "a", Metrics: doc("sharpe", 1)}, {StrategyID: "b", Metrics: doc("sharpe", 1)}}})
	if len(out.Selected) != 2 {
		t.Errorf("no correlations: %v", out.Selected)
	}
}

func TestSelectionPipeline(t *testing.T) {
	p := pol(t, `
thresholds: {s: {metric: sharpe, min: 0}}
top_k: {metric: score, k: 3}
hysteresis: {metric: sharpe, enter: 0.5, exit: 0.2}
`)
	out := EvaluateSet(p, SetInput{
		Previous: []string{"prev_low", "prev_ok"},
		Candidates: []Candidate{
			{StrategyID: "neg", Metrics: doc("sharpe", -1, "score", 9)},            // fails the threshold
			{StrategyID: "prev_low", Metrics: doc("sharpe", 0.1, "score", 8)},      // exit
			{StrategyID: "prev_ok", Metrics: doc("sharpe", 0.3, "score", 7)},       // stays
			{StrategyID: "new_low", Metrics: doc("sharpe", 0.4, "score", 6)},       // outside top 3
			{StrategyID: "new_ok", Metrics: doc("sharpe", 0.6)},                    // no score: rank last
			{StrategyID: "tie", Metrics: doc("sharpe", 0.6, "score", 7, "x", 1.0)}, // ties keep input order
		},
	})
	if !reflect.DeepEqual(out.Selected, []string{"prev_ok", "tie"}) {
		t.Errorf("selected %v", out.Selected)
	}
	want := map[string][2]string{
		"neg":      {Performance, "performance_thresholds_failed"},
		"prev_low": {RiskConstraint, "hysteresis_exit"},
		"new_low":  {Performance, "performance_rank_outside_top_k"},
		"new_ok":   {Performance, "performance_rank_outside_top_k"},
	}
	for _, so := range out.Strategies {
		if w, ok := want[so.StrategyID]; ok {
			r, _ := so.Validation.Results.Get(w[0])
			if r.ReasonCode != w[1] {
				t.Errorf("%s: %s %s, want %s", so.StrategyID, w[0], r.ReasonCode, w[1])
			}
		}
	}
	perf, _ := out.Strategies[4].Validation.Results.Get(Performance)
	if perf.Reason != "Rank 5 outside top_k=3" || perf.Details.Map()["rank"] != 4 {
		t.Errorf("new_ok: %q %v", perf.Reason, perf.Details)
	}
	tie, _ := out.Strategies[5].Validation.Results.Get(Performance)
	if tie.Details.Map()["rank"] != 2 {
		t.Errorf("tie rank %v (stable order after prev_ok)", tie.Details.Map()["rank"])
	}
}

// A soft or info threshold failure still removes the strategy from the
// selection (corpus E09/E10): status warn, active false.
func TestSoftFailureStillDeselects(t *testing.T) {
	p := pol(t, "validation_profiles: {p: {performance: {sharpe_min: 0.5, severity: soft}}}")
	out := Evaluate(p, Input{StrategyID: "s1", Metrics: good()})
	if out.Summary.Status != Warn || out.Summary.Active || len(out.Summary.ActiveSet) != 0 {
		t.Errorf("summary %+v", out.Summary)
	}
	p = pol(t, "validation_profiles: {p: {performance: {sharpe_min: 0.5, severity: info}}}")
	out = Evaluate(p, Input{StrategyID: "s1", Metrics: good()})
	if out.Summary.Status != Warn || out.Summary.Active {
		t.Errorf("info summary %+v", out.Summary)
	}
}

// A missing metric under mode warn does not deselect.
func TestMissingWarnKeepsSelection(t *testing.T) {
	p := pol(t, "thresholds: {x: {metric: nope}}\nvalidation: {on_missing_metric: warn}")
	out := Evaluate(p, Input{StrategyID: "s1", Metrics: good()})
	if !out.Summary.Active || out.Summary.Status != Warn {
		t.Errorf("summary %+v", out.Summary)
	}
}

func TestDuplicateCandidates(t *testing.T) {
	out := EvaluateSet(pol(t, "{}"), SetInput{Candidates: []Candidate{
		{StrategyID: "a", Metrics: doc("x", 1)}, {StrategyID: "b", Metrics: good()}, {StrategyID: "a", Metrics: good()},
	}})
	if len(out.Strategies) != 2 || out.Strategies[0].StrategyID != "a" {
		t.Fatalf("strategies %+v", out.Strategies)
	}
	if s, _ := out.Strategies[0].Validation.Results.Get(Sample); s.Status != Pass {
		t.Errorf("later metrics should win: %+v", s)
	}
}
