package handlers

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/rules"
)

const extendedPolicy = `{
  "validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}},
  "default_profile_by_stage": {"backtest": "backtest"},
  "cohort": {"top_k": 2, "sharpe_median_min": 0.5},
  "portfolio": {"max_incremental_var_99": 0.005, "severity": "blocking"},
  "stress": {"scenarios": {"crash": {"dd_max": 0.25}}}
}`

// twoAssetCov is the hand-worked portfolio of validation/extended's tests:
// σ1 = 0.02, σ2 = 0.01, correlation 0.5, weights 0.6/0.4, VaR99 =
// 0.0336037379; s3 is a candidate with σ = 0.02, uncorrelated (its zero
// covariances are given, so the default correlation does not apply).
func twoAssetCov() map[string]float64 {
	return map[string]float64{"s1,s1": 4e-4, "s2,s2": 1e-4, "s1,s2": 1e-4, "s3,s3": 4e-4, "s1,s3": 0, "s2,s3": 0}
}

// Expected incremental VaR99 (hand-worked in validation/extended):
//
//	s1 held, leave-one-out: 0.0336037379 − 2.33·0.01 = 0.0103037379
//	s2 held, leave-one-out: 0.0336037379 − 2.33·0.02 = −0.0129962621
//	s3 candidate, α = 1/3:  2.33·√1.3688889e-4 − 0.0336037379 = −0.0063428485
var wantIncremental = map[string]float64{"s1": 0.010303737887324381, "s2": -0.01299626211267562, "s3": -0.006342848523826189}

func closeTo(a, b float64) bool { return math.Abs(a-b) <= 1e-12+1e-9*math.Abs(b) }

// seedWorld publishes the policy, records the snapshot and evaluates three
// backtest runs: Sharpe 1.2, 0.8 and 1.5.
func seedWorld(t *testing.T, f *xfix) {
	t.Helper()
	f.publish(t, "w", extendedPolicy)
	f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: twoAssetCov(), stress: `{"crash": {"max_drawdown": 0.3}}`})
	f.evaluated(t, "w", "s1", "r1", "backtest", `{"returns": {"sharpe": 1.2, "max_drawdown": -0.05}}`)
	f.evaluated(t, "w", "s2", "r1", "backtest", `{"returns": {"sharpe": 0.8, "max_drawdown": -0.04}}`)
	f.evaluated(t, "w", "s3", "r1", "backtest", `{"returns": {"sharpe": 1.5, "max_drawdown": -0.06}}`)
	f.pump(t)
}

func resultsOf(t *testing.T, raw json.RawMessage) rules.Results {
	t.Helper()
	var rs rules.Results
	if err := json.Unmarshal(raw, &rs); err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestExtendedTargetedPasses: each EvaluationCompleted runs one pass over
// its run's cohort (D15: the latest run per strategy of the stage), records
// one CohortEvaluated and one ExtendedValidationCompleted on the targeted
// run only (D16), with the numbers worked by hand.
func TestExtendedTargetedPasses(t *testing.T) {
	f := newXFix(t)
	f.extended(t, ExtendedConfig{})
	seedWorld(t, f)

	if n := len(f.ofType(t, events.TypeCohortEvaluated)); n != 3 {
		t.Fatalf("%d CohortEvaluated, want 3 (one per EvaluationCompleted)", n)
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		evs := f.extendedOf(t, "w", s, "r1")
		if len(evs) != 1 {
			t.Fatalf("%s: %d extended results, want 1", s, len(evs))
		}
		p := evs[0]
		var trig events.Trigger
		if err := json.Unmarshal(p.Trigger, &trig); err != nil {
			t.Fatal(err)
		}
		if trig.EventType != events.TypeEvaluationCompleted || trig.IdempotencyKey != "evaluation_run_created:w:"+s+":r1:1" || p.ExtendedRevision != 1 || p.PolicyVersion != 1 {
			t.Errorf("%s: trigger %+v revision %d policy %d", s, trig, p.ExtendedRevision, p.PolicyVersion)
		}
		v := f.view(t, "w", s, "r1")
		got, ok := metricAt(t, v, "risk", "incremental_var_99")
		if !ok || !closeTo(got, wantIncremental[s]) {
			t.Errorf("%s: risk.incremental_var_99 = %v, want %v", s, got, wantIncremental[s])
		}
		es, _ := metricAt(t, v, "risk", "incremental_es_99")
		if !closeTo(es, 1.2*wantIncremental[s]) {
			t.Errorf("%s: risk.incremental_es_99 = %v, want 1.2·%v", s, es, wantIncremental[s])
		}
		if base, _ := metricAt(t, v, "diagnostics", "extra_metrics", "portfolio_baseline_var_99"); !closeTo(base, 0.03360373788732438) {
			t.Errorf("%s: baseline VaR %v", s, base)
		}
		if v.Validation.ExtendedRevision != 1 || len(v.Validation.ExtendedHistory) != 1 || v.Summary.Status == "" {
			t.Errorf("%s: view validation %+v", s, v.Validation)
		}
	}

	// s1's leave-one-out risk exceeds the blocking limit 0.005: the
	// portfolio rule fails and so does the extended summary (O6); the
	// run's summary.status is untouched.
	s1 := f.extendedOf(t, "w", "s1", "r1")[0]
	rs := resultsOf(t, s1.Results)
	if r, _ := rs.Get(rules.Portfolio); r.Status != rules.Fail || r.ReasonCode != "incremental_var_exceeds_max" {
		t.Errorf("s1 portfolio %+v", r)
	} else if _, qmtl := r.Details.Get("max_incremental_var_99"); qmtl {
		t.Error("s1 portfolio details keep QMTL's max_incremental_var_99 (D26)")
	}
	if string(s1.ExtendedSummary) != `{"status":"fail","blocking":{"portfolio":"fail"}}` {
		t.Errorf("s1 extended summary %s", s1.ExtendedSummary)
	}
	v1 := f.view(t, "w", "s1", "r1")
	runStream, _ := events.RunStream("w", "s1", "r1")
	if string(v1.Validation.ExtendedSummary) != string(s1.ExtendedSummary) || v1.Summary.Status != f.run(t, runStream).Verdict.Status {
		t.Errorf("view: extended summary %s, status %s", v1.Validation.ExtendedSummary, v1.Summary.Status)
	}
	if _, ok := v1.Validation.Results.Get(rules.Performance); !ok {
		t.Error("the merged results lost the core results")
	}

	// Each pass sees the runs evaluated up to its trigger: s1's cohort is
	// {s1}, s2's {s1, s2} (median (1.2+0.8)/2 = 1.0, both in the top 2),
	// s3's all three (median of {1.2, 0.8, 1.5} = 1.2, top 2 = s3 and s1).
	// The shared stress map gives every strategy crash max_drawdown 0.3 >
	// 0.25.
	s2 := resultsOf(t, f.extendedOf(t, "w", "s2", "r1")[0].Results)
	if r, _ := s2.Get(rules.Cohort); r.Status != rules.Pass {
		t.Errorf("s2 cohort %+v", r)
	}
	if r, _ := s2.Get(rules.Stress); r.Status != rules.Fail || r.ReasonCode != "crash_dd_exceeds_max" {
		t.Errorf("s2 stress %+v", r)
	}
	cohorts := f.ofType(t, events.TypeCohortEvaluated)
	for i, want := range []struct {
		size   int
		median float64
		topK   string
	}{{1, 1.2, "s1"}, {2, 1.0, "s1,s2"}, {3, 1.2, "s1,s3"}} {
		c, err := events.DecodeAs[events.CohortEvaluated](f.reg, &cohorts[i].Event)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Members) != want.size || c.MedianSharpe == nil || *c.MedianSharpe != want.median || c.MedianDSR != nil ||
			c.TopK == nil || *c.TopK != 2 || strings.Join(c.TopKSelected, ",") != want.topK || cohorts[i].Stream != "cohort/w/backtest" {
			t.Errorf("cohort %d: %+v on %s", i, c, cohorts[i].Stream)
		}
	}
	var cc struct {
		Cohort struct {
			Stream  string `json:"stream"`
			EventID string `json:"event_id"`
		} `json:"cohort"`
		Size           int   `json:"size"`
		SelectedInTopK *bool `json:"selected_in_top_k"`
	}
	if err := json.Unmarshal(f.extendedOf(t, "w", "s3", "r1")[0].CohortContext, &cc); err != nil {
		t.Fatal(err)
	}
	if cc.Size != 3 || cc.Cohort.EventID != cohorts[2].ID || cc.Cohort.Stream != "cohort/w/backtest" || cc.SelectedInTopK == nil || !*cc.SelectedInTopK {
		t.Errorf("s3 cohort context %+v", cc)
	}
}

// TestExtendedWorldPassAndRedelivery: a new snapshot re-validates the
// latest run of every strategy once; handling every event again — a
// runner restarted from position 0 — appends nothing.
func TestExtendedWorldPassAndRedelivery(t *testing.T) {
	f := newXFix(t)
	f.extended(t, ExtendedConfig{})
	seedWorld(t, f)
	before := len(f.ofType(t, events.TypeExtendedValidationCompleted))

	snap := f.snapshot(t, snapshotSpec{world: "w", version: "v2", asOf: "2026-03-01T11:30:00Z", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: twoAssetCov()})
	f.pump(t)
	if got := len(f.ofType(t, events.TypeExtendedValidationCompleted)) - before; got != 3 {
		t.Fatalf("%d extended results for the snapshot, want 3", got)
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		evs := f.extendedOf(t, "w", s, "r1")
		p := evs[len(evs)-1]
		var trig events.Trigger
		_ = json.Unmarshal(p.Trigger, &trig)
		if trig.IdempotencyKey != "risk_snapshot_updated:w:"+snap.Hash+":1" || p.ExtendedRevision != 2 || string(p.Snapshot) != `{"version":"v2","hash":"`+snap.Hash+`"}` {
			t.Errorf("%s: trigger %+v, revision %d, snapshot %s", s, trig, p.ExtendedRevision, p.Snapshot)
		}
	}

	// The world pass sees all three: s2 is outside the top 2 by Sharpe.
	s2 := f.extendedOf(t, "w", "s2", "r1")
	if r, _ := resultsOf(t, s2[len(s2)-1].Results).Get(rules.Cohort); r.Status != rules.Fail || r.ReasonCode != "cohort_top_k_exceeded" {
		t.Errorf("s2 cohort in the world pass %+v", r)
	}

	head := f.head(t)
	f.replay(t, 0)
	if h := f.head(t); h != head {
		t.Fatalf("re-delivery appended %d events", h-head)
	}
}

// TestExtendedTriggersAndLoopGuard: a default change re-validates the
// world, an override its run (keyed by the run's revision), and the
// handler's own events trigger nothing.
func TestExtendedTriggersAndLoopGuard(t *testing.T) {
	f := newXFix(t)
	x := f.extended(t, ExtendedConfig{})
	seedWorld(t, f)

	// The handler's own output: nothing.
	head := f.head(t)
	for _, rec := range append(f.ofType(t, events.TypeExtendedValidationCompleted), f.ofType(t, events.TypeCohortEvaluated)...) {
		if err := x.Handle(f.ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if f.head(t) != head {
		t.Fatal("the handler's own events triggered a pass")
	}

	// A second policy made the default: every latest run again.
	f.publish(t, "w", strings.Replace(extendedPolicy, `"top_k": 2`, `"top_k": 1`, 1))
	stream, _ := events.PolicyStream("w")
	if _, err := aggregates.Update(f.ctx, f.repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
		return p.SetDefault(f.reg, worldpolicy.SetDefault{Meta: events.Meta{IdempotencyKey: "default-2", OccurredAt: fixedNow}, Version: 2})
	}); err != nil {
		t.Fatal(err)
	}
	f.pump(t)
	for _, s := range []string{"s1", "s2", "s3"} {
		evs := f.extendedOf(t, "w", s, "r1")
		if len(evs) != 2 || evs[1].PolicyVersion != 2 || !strings.Contains(string(evs[1].Trigger), `"validation_profile_changed:w:2:1"`) {
			t.Fatalf("%s after the default change: %d results", s, len(evs))
		}
	}

	// An override: its run only, keyed by the run's revision (submission,
	// evaluation, two extended merges: the override is revision 5).
	runStream, _ := events.RunStream("w", "s2", "r1")
	if _, err := aggregates.Update(f.ctx, f.repo, runStream, func(r *evaluationrun.Run) ([]events.Event, error) {
		return r.RecordOverride(f.reg, evaluationrun.RecordOverride{Meta: events.Meta{IdempotencyKey: "ov-1", OccurredAt: fixedNow}, Status: "rejected"})
	}); err != nil {
		t.Fatal(err)
	}
	f.pump(t)
	evs := f.extendedOf(t, "w", "s2", "r1")
	if len(evs) != 3 || !strings.Contains(string(evs[2].Trigger), `"evaluation_run_updated:w:s2:r1:override:5"`) {
		t.Fatalf("override pass: %d results, last trigger %s", len(evs), evs[len(evs)-1].Trigger)
	}
	for _, s := range []string{"s1", "s3"} {
		if n := len(f.extendedOf(t, "w", s, "r1")); n != 2 {
			t.Errorf("%s was re-validated by s2's override (%d results)", s, n)
		}
	}
}

// TestExtendedPatchFollowsTheSnapshot: when the next snapshot has no
// covariance, the candidate's covariance-based values give way to the
// fallback baseline's (§3.5.3) and the values only the covariance path
// writes are removed from the run view.
//
// The fallback of s3 is built from the other active strategies' latest
// runs, s1 and s2, whose |risk.incremental_var_99| are their leave-one-out
// values of the previous pass, 0.0103037379 and 0.0129962621: σ1 =
// 0.0044222, σ2 = 0.0055778, ŵ = 1/2 each, ρ = 0.5 (O2):
//
//	σp² = 0.25·σ1² + 0.25·σ2² + 2·0.25·0.5·σ1·σ2, VaR = 2.33·σp = 0.0101116260, ES = 1.2·VaR = 0.0121339512
//
// (python3). s3 has no incremental value of its own, so it is charged the
// whole baseline (§3.5.4 step 3); its uplift is 1.5 − (1.2 + 0.8)/2 = 0.5.
func TestExtendedPatchFollowsTheSnapshot(t *testing.T) {
	f := newXFix(t)
	f.extended(t, ExtendedConfig{})
	seedWorld(t, f)
	v := f.view(t, "w", "s3", "r1")
	if w, ok := metricAt(t, v, "diagnostics", "extra_metrics", "portfolio_candidate_weight"); !ok || !closeTo(w, 1.0/3) {
		t.Fatalf("candidate weight %v %v", w, ok)
	}
	f.snapshot(t, snapshotSpec{world: "w", version: "v2", asOf: "2026-03-01T11:30:00Z", weights: map[string]float64{"s1": 0.6, "s2": 0.4}})
	f.pump(t)
	v = f.view(t, "w", "s3", "r1")
	if _, ok := metricAt(t, v, "diagnostics", "extra_metrics", "portfolio_candidate_weight"); ok {
		t.Error("the candidate weight of the covariance path survived")
	}
	var doc map[string]any
	_ = json.Unmarshal(v.Metrics, &doc)
	if m, src := valueAt(doc, "diagnostics", "extra_metrics", "portfolio_incremental_method"), valueAt(doc, "diagnostics", "extra_metrics", "portfolio_baseline_source"); m != "baseline" || src != "fallback" {
		t.Errorf("method %v, source %v", m, src)
	}
	for _, c := range []struct {
		path []string
		want float64
	}{
		{[]string{"risk", "incremental_var_99"}, 0.010111626002726092},
		{[]string{"risk", "incremental_es_99"}, 0.01213395120327131},
		{[]string{"diagnostics", "extra_metrics", "portfolio_baseline_var_99"}, 0.010111626002726092},
		{[]string{"diagnostics", "extra_metrics", "portfolio_baseline_sharpe"}, 1.0},
		{[]string{"diagnostics", "extra_metrics", "portfolio_sharpe_uplift"}, 0.5},
		{[]string{"diagnostics", "extra_metrics", "portfolio_var_99_with_candidate"}, 2 * 0.010111626002726092},
	} {
		if got, ok := metricAt(t, v, c.path...); !ok || !closeTo(got, c.want) {
			t.Errorf("%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
}

// TestExtendedTopKByDSR: with the top k ranked by deflated Sharpe (O3),
// s2 (DSR 0.9) is the top 1 although s3 has the highest Sharpe.
func TestExtendedTopKByDSR(t *testing.T) {
	f := newXFix(t)
	f.extended(t, ExtendedConfig{TopKMetric: TopKByDSR})
	f.publish(t, "w", `{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}}, "default_profile_by_stage": {"backtest": "backtest"}, "cohort": {"top_k": 1}}`)
	for s, m := range map[string]string{
		"s1": `{"returns": {"sharpe": 1.2}, "robustness": {"deflated_sharpe_ratio": 0.3}}`,
		"s2": `{"returns": {"sharpe": 0.8}, "robustness": {"deflated_sharpe_ratio": 0.9}}`,
		"s3": `{"returns": {"sharpe": 1.5}, "robustness": {"deflated_sharpe_ratio": 0.5}}`,
	} {
		f.evaluated(t, "w", s, "r1", "backtest", m)
	}
	f.pump(t)
	f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 1}})
	f.pump(t)
	cohorts := f.ofType(t, events.TypeCohortEvaluated)
	c, err := events.DecodeAs[events.CohortEvaluated](f.reg, &cohorts[len(cohorts)-1].Event)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Members) != 3 || strings.Join(c.TopKSelected, ",") != "s2" {
		t.Fatalf("cohort %+v", c)
	}
	for s, want := range map[string]rules.Status{"s1": rules.Fail, "s2": rules.Pass, "s3": rules.Fail} {
		evs := f.extendedOf(t, "w", s, "r1")
		if r, _ := resultsOf(t, evs[len(evs)-1].Results).Get(rules.Cohort); r.Status != want {
			t.Errorf("%s cohort %+v, want %s", s, r, want)
		}
	}
}

// TestExtendedCampaignCohort: a run of a campaign is validated with the
// campaign's runs as its cohort (D15), recorded on the campaign's stream.
func TestExtendedCampaignCohort(t *testing.T) {
	f := newXFix(t)
	f.extended(t, ExtendedConfig{})
	f.publish(t, "w", extendedPolicy)
	for _, r := range []struct{ s, campaign string }{{"s1", "c1"}, {"s2", "c1"}, {"s3", ""}} {
		f.submit(t, events.EvaluationRunSubmitted{WorldID: "w", StrategyID: r.s, RunID: "r1", Stage: "backtest", RiskTier: "unknown", CampaignID: r.campaign,
			Metrics: json.RawMessage(`{"returns": {"sharpe": 1.0, "max_drawdown": -0.05}}`)})
	}
	f.pump(t)
	var campaign []*events.CohortEvaluated
	for _, r := range f.ofType(t, events.TypeCohortEvaluated) {
		c, err := events.DecodeAs[events.CohortEvaluated](f.reg, &r.Event)
		if err != nil {
			t.Fatal(err)
		}
		if r.Stream == "campaign/w/c1" {
			campaign = append(campaign, c)
		}
	}
	if len(campaign) != 2 || campaign[1].CampaignID != "c1" || len(campaign[1].Members) != 2 {
		t.Fatalf("campaign cohorts %+v", campaign)
	}
	for _, m := range campaign[1].Members {
		if m.StrategyID == "s3" {
			t.Fatal("a run outside the campaign is in its cohort")
		}
	}
}
