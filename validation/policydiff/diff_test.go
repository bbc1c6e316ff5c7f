package policydiff

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/validation/policy"
)

func mustPolicy(t testing.TB, doc string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	return p
}

const (
	lenient = `
validation_profiles:
  backtest:
    performance: {sharpe_min: 0.05, max_dd_max: 0.3}
default_profile_by_stage: {backtest_only: backtest}
`
	strict = `
validation_profiles:
  backtest:
    performance: {sharpe_min: 0.1, max_dd_max: 0.3}
    robustness: {cv_sharpe_gap_max: 0.1, severity: soft}
default_profile_by_stage: {backtest_only: backtest}
`
)

// run is a stored run whose Sharpe halves differ by gap.
func run(strategy, id string, sharpe, dd, gap float64) Run {
	return Run{StrategyID: strategy, RunID: id, Metrics: map[string]any{
		"returns":    map[string]any{"sharpe": sharpe, "max_drawdown": dd},
		"sample":     map[string]any{"effective_history_years": 3.0, "n_trades_total": 756.0},
		"robustness": map[string]any{"sharpe_first_half": sharpe + gap/2, "sharpe_second_half": sharpe - gap/2},
	}}
}

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestDiffCountsAndGate(t *testing.T) {
	runs := []Run{
		run("a", "r1", 0.2, 0.1, 0),     // passes both
		run("b", "r1", 0.08, 0.1, 0),    // replaced below
		run("c", "r1", 0.2, 0.1, 0.25),  // halves apart: soft robustness fails; severity-blind fail, summary warn
		run("d", "r1", 0.01, 0.1, 0),    // fails both alike: no change
		run("e", "r1", 0.01, 0.1, 0.25), // fails both, and robustness now fails too: a rule change only
		run("", "r9", 0.01, 0.1, 0),     // no strategy: skipped
		run("b", "r2", 0.09, 0.1, 0),    // replaces b/r1, keeps its position; Sharpe between the bars: pass → fail
	}
	old := Policy{Policy: mustPolicy(t, lenient), Version: "1"}
	neu := Policy{Policy: mustPolicy(t, strict), Version: "2"}
	rep, err := Diff(context.Background(), old, neu, runs, Options{Stage: "backtest", FailImpactRatio: 0.5, Now: t0, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TotalStrategies != 5 || rep.StrategiesAffected != 3 || rep.StatusChanges != 2 || rep.SelectionChanges != 1 || rep.StageChanges != 0 {
		t.Fatalf("counts: %+v", rep)
	}
	if rep.ImpactRatio != 0.6 || !rep.GateFailed || !rep.ManualReview {
		t.Fatalf("impact %v gate %v review %v", rep.ImpactRatio, rep.GateFailed, rep.ManualReview)
	}
	if *rep.OldPolicyVersion != "1" || *rep.NewPolicyVersion != "2" || rep.OldRulesetHash == rep.NewRulesetHash || rep.Timestamp != "2026-11-26T12:00:00Z" {
		t.Fatalf("header: %+v", rep)
	}
	if got := keys(rep.Diffs); !reflect.DeepEqual(got, []string{"b", "c", "e"}) {
		t.Fatalf("diffs %v", got)
	}
	b, c, e := rep.Diffs[0], rep.Diffs[1], rep.Diffs[2]
	if b.RunID != "r2" || *b.OldStatus != "pass" || *b.NewStatus != "fail" || b.Change != Tightened || b.OldSummaryStatus != "pass" || b.NewSummaryStatus != "fail" {
		t.Fatalf("b: %+v", b)
	}
	if *c.NewStatus != "fail" || c.NewSummaryStatus != "warn" || !c.OldSelected || !c.NewSelected {
		t.Fatalf("c: severity-blind fail, summary warn, still selected: %+v", c)
	}
	if len(c.RuleChanges) != 1 || c.RuleChanges[0].Rule != "robustness" || *c.RuleChanges[0].NewReasonCode != "cv_sharpe_gap_exceeds_max" ||
		*c.RuleChanges[0].OldStatus != "pass" || *c.RuleChanges[0].OldReasonCode != "robustness_ok" {
		t.Fatalf("c rule changes: %+v", c.RuleChanges)
	}
	if !equalPtr(e.OldStatus, e.NewStatus) || e.Change != Other || len(e.RuleChanges) != 1 || e.RuleChanges[0].Rule != "robustness" {
		t.Fatalf("e: %+v", e)
	}
	if rep.StatusTransitions["pass→fail"] != 2 || len(rep.StatusTransitions) != 1 || rep.RuleStatusChanges != 3 {
		t.Fatalf("transitions %v, rule changes %d", rep.StatusTransitions, rep.RuleStatusChanges)
	}
	if len(rep.TopOffenders) != 3 || rep.TopOffenders[2].Key != "e" {
		t.Fatalf("offenders %+v", rep.TopOffenders)
	}
}

// TestGateIsInclusive pins the spec decision of §11.4 (corpus D01): the gate
// fails when impact_ratio equals fail_impact_ratio.
func TestGateIsInclusive(t *testing.T) {
	runs := []Run{run("a", "r", 0.2, 0.1, 0), run("b", "r", 0.08, 0.1, 0), run("c", "r", 0.2, 0.1, 0), run("d", "r", 0.3, 0.1, 0)}
	old := Policy{Policy: mustPolicy(t, lenient)}
	neu := Policy{Policy: mustPolicy(t, strict)}
	for _, c := range []struct {
		ratio float64
		fails bool
	}{{0.25, true}, {0.2500001, false}, {0, true}, {1, false}} {
		rep, err := Diff(context.Background(), old, neu, runs, Options{Stage: "backtest", FailImpactRatio: c.ratio})
		if err != nil {
			t.Fatal(err)
		}
		if rep.ImpactRatio != 0.25 || rep.GateFailed != c.fails {
			t.Errorf("threshold %v: impact %v, gate failed %v, want %v", c.ratio, rep.ImpactRatio, rep.GateFailed, c.fails)
		}
	}
	rep, err := Diff(context.Background(), old, neu, nil, Options{Stage: "backtest", FailImpactRatio: 0.05})
	if err != nil || rep.TotalStrategies != 0 || rep.ImpactRatio != 0 || rep.GateFailed || rep.Diffs == nil {
		t.Fatalf("empty: %+v %v", rep, err)
	}
}

// TestDiffActsAcrossTheSet checks that top-k ranks the strategies together.
func TestDiffActsAcrossTheSet(t *testing.T) {
	topk := `
validation_profiles:
  backtest:
    performance: {sharpe_min: 0.05}
default_profile_by_stage: {backtest_only: backtest}
selection: {top_k: {metric: sharpe, k: 2}}
`
	runs := []Run{run("a", "r", 0.2, 0.1, 0), run("b", "r", 0.3, 0.1, 0), run("c", "r", 0.1, 0.1, 0)}
	rep, err := Diff(context.Background(), Policy{Policy: mustPolicy(t, lenient)}, Policy{Policy: mustPolicy(t, topk)}, runs,
		Options{Stage: "backtest", FailImpactRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Diffs) != 1 || rep.Diffs[0].Key != "c" || rep.Diffs[0].NewSelected || *rep.Diffs[0].RuleChanges[0].NewReasonCode != "performance_rank_outside_top_k" {
		t.Fatalf("diffs: %+v", rep.Diffs)
	}
}

func TestDiffKeyByRunAndStageChange(t *testing.T) {
	paperOnly := `
validation_profiles:
  paper:
    performance: {sharpe_min: 0.05, max_dd_max: 0.3}
`
	runs := []Run{run("a", "r1", 0.2, 0.1, 0), run("a", "r2", 0.2, 0.1, 0)}
	rep, err := Diff(context.Background(), Policy{Policy: mustPolicy(t, lenient)}, Policy{Policy: mustPolicy(t, paperOnly)}, runs,
		Options{FailImpactRatio: 1, KeyByRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TotalStrategies != 2 || rep.StageChanges != 2 || rep.StrategiesAffected != 2 || rep.Diffs[1].Key != "a@r2" {
		t.Fatalf("%+v", rep)
	}
	if *rep.Diffs[0].OldRecommendedStage != "backtest_only" || *rep.Diffs[0].NewRecommendedStage != "paper_only" {
		t.Fatalf("stages %v → %v", *rep.Diffs[0].OldRecommendedStage, *rep.Diffs[0].NewRecommendedStage)
	}
}

func TestDiffRefusesBadArguments(t *testing.T) {
	p := Policy{Policy: mustPolicy(t, lenient)}
	if _, err := Diff(context.Background(), p, Policy{}, nil, Options{}); err == nil {
		t.Error("nil policy accepted")
	}
	if _, err := Diff(context.Background(), p, p, nil, Options{FailImpactRatio: -1}); err == nil {
		t.Error("negative ratio accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Diff(ctx, p, p, []Run{run("a", "r", 0.1, 0.1, 0)}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func keys(ds []StrategyDiff) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Key)
	}
	return out
}

func TestWriteMarkdown(t *testing.T) {
	runs := []Run{run("a|x", "r1", 0.2, 0.1, 0), run("b", "r1", 0.08, 0.1, 0)}
	rep, err := Diff(context.Background(), Policy{Policy: mustPolicy(t, lenient), Version: "1"}, Policy{Policy: mustPolicy(t, strict), Version: "2"}, runs,
		Options{Stage: "backtest", FailImpactRatio: DefaultFailImpactRatio, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{"# Policy diff", "| policy version | 1 | 2 |", "| impact ratio | 50.00 % |", "**Gate: FAILED**",
		"manual review", "| pass→fail | 1 |", "| b | r1 | **pass → fail** | **pass → fail** | **yes → no** | backtest_only |",
		"performance: pass → fail (`performance_thresholds_failed`)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestChunkedEqualsWholeSet checks that the chunked path gives exactly the
// whole-set evaluation's diffs for a set-independent policy, over more than
// one chunk and with repeated strategies.
func TestChunkedEqualsWholeSet(t *testing.T) {
	oldP, newP := benchPolicies(t, false)
	if !setIndependent(oldP.Policy, "backtest") || !setIndependent(newP.Policy, "backtest") {
		t.Fatal("the bench policies are set-independent")
	}
	if o, _ := benchPolicies(t, true); setIndependent(o.Policy, "backtest") {
		t.Fatal("a top-k policy is not set-independent")
	}
	runs := benchRuns(3*chunkSize + 17)
	runs = append(runs, runs[5], runs[400]) // repeats: last content, first position
	runs[len(runs)-1].RunID = "r2"
	set := func() []keyed { return dedupe(append([]Run(nil), runs...), false) }
	noop := func(Progress) {}
	_, _, chunked, err := diffByChunks(context.Background(), oldP, newP, set(), "backtest", 3, noop)
	if err != nil {
		t.Fatal(err)
	}
	_, _, whole, err := diffWholeSet(context.Background(), oldP, newP, set(), "backtest", 3, noop)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(chunked, whole) {
		t.Fatal("chunked and whole-set diffs differ")
	}
	changed := 0
	for _, d := range chunked {
		if d.HasChanges {
			changed++
		}
	}
	if changed == 0 || changed == len(chunked) || chunked[400].RunID != "r2" {
		t.Fatalf("%d of %d changed; want some: the comparison is vacuous", changed, len(chunked))
	}
}
