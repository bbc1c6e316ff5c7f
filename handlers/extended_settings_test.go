package handlers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/rules"
)

// topKWorld publishes doc for world and evaluates three backtest runs —
// Sharpe 1.2/0.8/1.5, deflated Sharpe 0.3/0.9/0.5 — then records a
// snapshot, whose world pass sees all three; it returns that pass's
// CohortEvaluated.
func topKWorld(t *testing.T, f *xfix, world, doc string) *events.CohortEvaluated {
	t.Helper()
	f.publish(t, world, doc)
	for _, r := range []struct{ s, m string }{
		{"s1", `{"returns": {"sharpe": 1.2}, "robustness": {"deflated_sharpe_ratio": 0.3}}`},
		{"s2", `{"returns": {"sharpe": 0.8}, "robustness": {"deflated_sharpe_ratio": 0.9}}`},
		{"s3", `{"returns": {"sharpe": 1.5}, "robustness": {"deflated_sharpe_ratio": 0.5}}`},
	} {
		f.evaluated(t, world, r.s, "r1", "backtest", r.m)
	}
	f.pump(t)
	f.snapshot(t, snapshotSpec{world: world, version: "v1", weights: map[string]float64{"s1": 1}})
	f.pump(t)
	var last *events.CohortEvaluated
	for _, rec := range f.ofType(t, events.TypeCohortEvaluated) {
		if rec.Stream != "cohort/"+world+"/backtest" {
			continue
		}
		c, err := events.DecodeAs[events.CohortEvaluated](f.reg, &rec.Event)
		if err != nil {
			t.Fatal(err)
		}
		last = c
	}
	if last == nil || len(last.Members) != 3 {
		t.Fatalf("%s: cohort %+v", world, last)
	}
	return last
}

// latestResult returns a rule's result in a run's latest extended results.
func latestResult(t *testing.T, f *xfix, world, strategy, rule string) rules.RuleResult {
	t.Helper()
	evs := f.extendedOf(t, world, strategy, "r1")
	if len(evs) == 0 {
		t.Fatalf("%s/%s: no extended results", world, strategy)
	}
	r, ok := resultsOf(t, evs[len(evs)-1].Results).Get(rule)
	if !ok {
		t.Fatalf("%s/%s: no %s result", world, strategy, rule)
	}
	return r
}

// TestExtendedPolicyTopKMetric: the policy's cohort.top_k_metric decides
// what the top 1 is ranked by — deflated Sharpe picks s2, Sharpe s3 —
// whatever the service's default; a policy without it takes the service's
// (O3). cohort.extreme_sharpe_max likewise (O4).
func TestExtendedPolicyTopKMetric(t *testing.T) {
	const head = `{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}}, "default_profile_by_stage": {"backtest": "backtest"}, `
	for _, c := range []struct {
		name, cfgMetric, cohort, want string
	}{
		{"service sharpe, policy silent", "", `{"top_k": 1}`, "s3"},
		{"service sharpe, policy dsr", "", `{"top_k": 1, "top_k_metric": "deflated_sharpe_ratio"}`, "s2"},
		{"service dsr, policy silent", TopKByDSR, `{"top_k": 1}`, "s2"},
		{"service dsr, policy sharpe", TopKByDSR, `{"top_k": 1, "top_k_metric": "sharpe"}`, "s3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newXFix(t)
			f.extended(t, ExtendedConfig{TopKMetric: c.cfgMetric})
			coh := topKWorld(t, f, "w", head+`"cohort": `+c.cohort+`}`)
			if got := strings.Join(coh.TopKSelected, ","); got != c.want {
				t.Errorf("top 1 %q, want %q", got, c.want)
			}
			for _, s := range []string{"s1", "s2", "s3"} {
				r := latestResult(t, f, "w", s, rules.Cohort)
				if want := map[bool]rules.Status{true: rules.Pass, false: rules.Fail}[s == c.want]; r.Status != want {
					t.Errorf("%s cohort %+v, want %s", s, r, want)
				}
			}
		})
	}

	// Extreme Sharpe: the policy's limit 1.4 flags s3 (1.5) although the
	// service's 2.0 would not; a silent policy keeps the service's.
	limit := 2.0
	f := newXFix(t)
	f.extended(t, ExtendedConfig{ExtremeSharpeMax: &limit})
	topKWorld(t, f, "a", head+`"cohort": {"top_k": 3, "extreme_sharpe_max": 1.4}}`)
	topKWorld(t, f, "b", head+`"cohort": {"top_k": 3}}`)
	for world, want := range map[string]struct {
		status rules.Status
		code   string
		max    float64
	}{"a": {rules.Warn, "cohort_extreme_sharpe_detected", 1.4}, "b": {rules.Pass, "cohort_ok", 2.0}} {
		r := latestResult(t, f, world, "s1", rules.Cohort)
		if max, _ := r.Details.Get("extreme_sharpe_max"); r.Status != want.status || r.ReasonCode != want.code || max != want.max {
			t.Errorf("%s: cohort %+v", world, r)
		}
	}
}

// TestExtendedPolicyPortfolioParams: the policy's portfolio.z_99 and
// es_factor scale the portfolio numbers. VaR99 = z·σ is linear in z, so
// with z_99 = 4.66 every incremental VaR of TestExtendedTargetedPasses
// doubles, and ES = 1.5·VaR. The second policy is made the default while
// the snapshot stays the same: the cached portfolio of the first pass must
// not be reused under other constants.
func TestExtendedPolicyPortfolioParams(t *testing.T) {
	f := newXFix(t)
	f.extended(t, ExtendedConfig{})
	seedWorld(t, f)
	check := func(z, esFactor float64) {
		t.Helper()
		for _, s := range []string{"s1", "s2", "s3"} {
			v := f.view(t, "w", s, "r1")
			want := wantIncremental[s] * z / 2.33
			if got, ok := metricAt(t, v, "risk", "incremental_var_99"); !ok || !closeTo(got, want) {
				t.Errorf("z %v: %s incremental_var_99 = %v, want %v", z, s, got, want)
			}
			if got, ok := metricAt(t, v, "risk", "incremental_es_99"); !ok || !closeTo(got, esFactor*want) {
				t.Errorf("z %v: %s incremental_es_99 = %v, want %v", z, s, got, esFactor*want)
			}
			if got, _ := metricAt(t, v, "diagnostics", "extra_metrics", "portfolio_baseline_var_99"); !closeTo(got, 0.03360373788732438*z/2.33) {
				t.Errorf("z %v: %s baseline VaR %v", z, s, got)
			}
		}
	}
	check(2.33, 1.2) // the service's defaults: the policy is silent

	f.publish(t, "w", strings.Replace(extendedPolicy, `"severity": "blocking"}`, `"severity": "blocking", "z_99": 4.66, "es_factor": 1.5}`, 1))
	stream, _ := events.PolicyStream("w")
	if _, err := aggregates.Update(f.ctx, f.repo, stream, func(p *worldpolicy.Policy) ([]events.Event, error) {
		return p.SetDefault(f.reg, worldpolicy.SetDefault{Meta: events.Meta{IdempotencyKey: "default-2", OccurredAt: fixedNow}, Version: 2})
	}); err != nil {
		t.Fatal(err)
	}
	f.pump(t)
	if evs := f.extendedOf(t, "w", "s1", "r1"); len(evs) != 2 || evs[1].PolicyVersion != 2 {
		t.Fatalf("s1: %d results after the default change", len(evs))
	}
	check(4.66, 1.5)
	// s1's doubled leave-one-out VaR 0.0206 still exceeds the limit 0.005.
	if r := latestResult(t, f, "w", "s1", rules.Portfolio); r.Status != rules.Fail {
		t.Errorf("s1 portfolio %+v", r)
	}
}

// TestExtendedPolicyDefaultCorrelation: a snapshot whose covariance lacks
// the s1/s2 entry. ρ fills it as ρ·σ1·σ2 (O2). Under the service's ρ = 0.5
// it is the 1e-4 of twoAssetCov, so the numbers are
// TestExtendedTargetedPasses'; under the policy's ρ = 0 it counts for
// nothing:
//
//	σp² = 0.36·4e-4 + 0.16·1e-4 = 1.6e-4, VaR = 2.33·√1.6e-4 = 0.0294724278
//	s1 leave-one-out = 0.0294724278 − 2.33·0.01 = 0.0061724278
//	s2 leave-one-out = 0.0294724278 − 2.33·0.02 = −0.0171275722
//
// (python3). Both worlds share one handler and one configuration.
func TestExtendedPolicyDefaultCorrelation(t *testing.T) {
	f := newXFix(t)
	f.extended(t, ExtendedConfig{})
	cov := map[string]float64{"s1,s1": 4e-4, "s2,s2": 1e-4}
	for world, doc := range map[string]string{
		"silent": extendedPolicy,
		"rho0":   strings.Replace(extendedPolicy, `"severity": "blocking"}`, `"severity": "blocking", "default_correlation": 0}`, 1),
	} {
		f.publish(t, world, doc)
		f.snapshot(t, snapshotSpec{world: world, version: "v1", weights: map[string]float64{"s1": 0.6, "s2": 0.4}, cov: cov})
		f.evaluated(t, world, "s1", "r1", "backtest", `{"returns": {"sharpe": 1.2, "max_drawdown": -0.05}}`)
		f.evaluated(t, world, "s2", "r1", "backtest", `{"returns": {"sharpe": 0.8, "max_drawdown": -0.04}}`)
	}
	f.pump(t)
	for _, c := range []struct {
		world, strategy string
		base, inc       float64
	}{
		{"silent", "s1", 0.03360373788732438, wantIncremental["s1"]},
		{"silent", "s2", 0.03360373788732438, wantIncremental["s2"]},
		{"rho0", "s1", 0.029472427792769297, 0.006172427792769296},
		{"rho0", "s2", 0.029472427792769297, -0.017127572207230705},
	} {
		v := f.view(t, c.world, c.strategy, "r1")
		if got, _ := metricAt(t, v, "diagnostics", "extra_metrics", "portfolio_baseline_var_99"); !closeTo(got, c.base) {
			t.Errorf("%s/%s: baseline VaR %v, want %v", c.world, c.strategy, got, c.base)
		}
		if got, ok := metricAt(t, v, "risk", "incremental_var_99"); !ok || !closeTo(got, c.inc) {
			t.Errorf("%s/%s: incremental_var_99 %v, want %v", c.world, c.strategy, got, c.inc)
		}
	}
}

// TestExtendedPolicyLiveESMax: the live ES gate of the extended pass's
// live_monitoring result (O18). The snapshot's realized returns give s1
// live ES 0.02 and s2 0 (TestLiveMonitoring's series, all four inside the
// default window 30): mean 0.01. The policy's es_max wins over the
// service's; a silent policy takes the service's.
func TestExtendedPolicyLiveESMax(t *testing.T) {
	tight, loose := 0.005, 0.05
	// esMax is the limit a failing gate reports; gated: es_mean is
	// reported, as it is whenever a gate applies.
	for _, c := range []struct {
		name   string
		cfg    *float64
		policy string
		status rules.Status
		reason string
		esMax  any
		gated  bool
	}{
		{"service gate, policy silent", &tight, `{"sharpe_min": -1}`, rules.Fail, "live_es_exceeds_max", 0.005, true},
		{"service gate, policy looser", &tight, `{"sharpe_min": -1, "es_max": 0.05}`, rules.Pass, "live_monitoring_ok", nil, true},
		{"no service gate, policy gate", nil, `{"sharpe_min": -1, "es_max": 0.005}`, rules.Fail, "live_es_exceeds_max", 0.005, true},
		{"no gate at all", nil, `{"sharpe_min": -1}`, rules.Pass, "live_monitoring_ok", nil, false},
		{"service looser, policy tighter", &loose, `{"sharpe_min": -1, "es_max": 0.008}`, rules.Fail, "live_es_exceeds_max", 0.008, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newXFix(t)
			f.extended(t, ExtendedConfig{LiveESMax: c.cfg})
			f.publish(t, "w", `{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}}, "default_profile_by_stage": {"backtest": "backtest"}, "live_monitoring": `+c.policy+`}`)
			f.evaluated(t, "w", "s1", "r1", "backtest", `{"returns": {"sharpe": 1.0}}`)
			f.evaluated(t, "w", "s2", "r1", "backtest", `{"returns": {"sharpe": 0.5}}`)
			f.pump(t)
			f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 0.5, "s2": 0.5},
				realized: &events.RealizedReturns{ByStrategy: map[string][]float64{"s1": {0.01, -0.02, 0.03, -0.01}, "s2": {0.001, 0.001, 0.001, 0.001}}}})
			f.pump(t)
			for _, s := range []string{"s1", "s2"} {
				r := latestResult(t, f, "w", s, rules.LiveMonitoring)
				limit, _ := r.Details.Get("es_max")
				mean, hasMean := r.Details.Get("es_mean")
				if r.Status != c.status || r.ReasonCode != c.reason || limit != c.esMax || hasMean != c.gated {
					t.Errorf("%s live_monitoring %+v (es_max %v)", s, r, limit)
				}
				if c.gated && (mean == nil || !closeTo(mean.(float64), 0.01)) {
					t.Errorf("%s es_mean %v", s, mean)
				}
			}
		})
	}
}

// TestLiveMonitorPolicyESMax: the live monitor's gate and its demotion
// thresholds follow the policy's live_monitoring.es_max over the
// service's. TestLiveMonitoring's pass has mean live ES 0.005 (windows 2
// and 4) and fails live_sharpe_below_min anyway.
func TestLiveMonitorPolicyESMax(t *testing.T) {
	tight := 0.004
	for _, c := range []struct {
		name    string
		cfg     *float64
		esMax   string
		reason  string
		tagged  float64
		hasTags bool
	}{
		{"service gate, policy silent", &tight, "", "live_sharpe_below_min, live_es_exceeds_max", 0.004, true},
		{"service gate, policy looser", &tight, `, "es_max": 0.006`, "live_sharpe_below_min", 0.006, true},
		{"policy gate only", nil, `, "es_max": 0.004`, "live_sharpe_below_min, live_es_exceeds_max", 0.004, true},
		{"no gate", nil, "", "live_sharpe_below_min", 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newXFix(t)
			f.publish(t, "w", strings.Replace(livePolicy, `"decay_threshold": 0.3`, `"decay_threshold": 0.3`+c.esMax, 1))
			f.evaluated(t, "w", "s1", "bt", "backtest", `{"returns": {"sharpe": 1.0, "max_drawdown": -0.05}}`)
			f.pump(t)
			f.live(t, LiveConfig{Windows: []int{2, 4}, ESMax: c.cfg})
			f.snapshot(t, snapshotSpec{
				world: "w", version: "v1", weights: map[string]float64{"s1": 0.5, "s2": 0.5},
				realized: &events.RealizedReturns{ByStrategy: map[string][]float64{"s1": {0.01, -0.02, 0.03, -0.01}, "s2": {0.001, 0.001, 0.001, 0.001}}},
			})
			f.pump(t)
			evals := f.ofType(t, events.TypeLiveMonitoringEvaluated)
			if len(evals) != 1 {
				t.Fatalf("%d LiveMonitoringEvaluated", len(evals))
			}
			p, err := events.DecodeAs[events.LiveMonitoringEvaluated](f.reg, &evals[0].Event)
			if err != nil {
				t.Fatal(err)
			}
			var r rules.RuleResult
			if err := json.Unmarshal(p.RuleResult, &r); err != nil {
				t.Fatal(err)
			}
			if r.Status != rules.Fail || r.Reason != c.reason {
				t.Errorf("rule result %+v", r)
			}
			tags := f.ofType(t, events.TypeDemotionCandidateTagged)
			if len(tags) != 2 {
				t.Fatalf("%d demotion candidates", len(tags))
			}
			d, _ := events.DecodeAs[events.DemotionCandidateTagged](f.reg, &tags[0].Event)
			if got, ok := d.Thresholds["es_max"]; ok != c.hasTags || got != c.tagged {
				t.Errorf("demotion thresholds %v", d.Thresholds)
			}
		})
	}
}
