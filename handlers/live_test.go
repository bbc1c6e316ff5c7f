package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/rules"
)

const livePolicy = `{
  "validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.1}}, "live": {"performance": {"sharpe_min": 0.1}}},
  "default_profile_by_stage": {"backtest": "backtest", "live": "live"},
  "live_monitoring": {"sharpe_min": 0.6, "dd_max": 0.05, "decay_threshold": 0.3}
}`

// TestLiveMonitoring works a live pass by hand. Windows 2 and 4; realized
// returns s1 = [0.01, −0.02, 0.03, −0.01] (validation/extended's
// TestLiveAggregates: window 4 Sharpe 0.1301889110, drawdown 0.02, VaR
// 0.0197, ES 0.02; window 2 Sharpe 0.5, drawdown 0.01, VaR 0.0096, ES 0.01)
// and s2 = four returns of 0.001 (σ = 0: Sharpe undefined by D21, drawdown,
// VaR and ES 0). s1's backtest Sharpe is 1.0, so its decay ratio is
// 0.5/1.0 = 0.5.
//
// The world-level rule: mean live Sharpe over the strategies that have one
// = 0.5 < 0.6 → fail live_sharpe_below_min; mean drawdown (0.01 + 0)/2 =
// 0.005 ≤ 0.05; mean decay 0.5 ≥ 0.3; mean live ES (0.01 + 0)/2 = 0.005 >
// es_max 0.004 → fail live_es_exceeds_max (O18). Both strategies are
// tagged demotion candidates (O5).
func TestLiveMonitoring(t *testing.T) {
	f := newXFix(t)
	f.publish(t, "w", livePolicy)
	f.evaluated(t, "w", "s1", "bt", "backtest", `{"returns": {"sharpe": 1.0, "max_drawdown": -0.05}}`)
	f.pump(t)
	esMax := 0.004
	l := f.live(t, LiveConfig{Windows: []int{2, 4}, ESMax: &esMax})
	snap := f.snapshot(t, snapshotSpec{
		world: "w", version: "v1", asOf: "2026-03-01T11:00:00Z", weights: map[string]float64{"s1": 0.5, "s2": 0.5},
		realized: &events.RealizedReturns{ByStrategy: map[string][]float64{"s1": {0.01, -0.02, 0.03, -0.01}, "s2": {0.001, 0.001, 0.001, 0.001}}},
	})
	f.pump(t)

	evals := f.ofType(t, events.TypeLiveMonitoringEvaluated)
	if len(evals) != 1 || evals[0].Stream != "live-monitoring/w" || evals[0].IdempotencyKey != "live_monitoring:w:2026-03-01T11:00:00Z:1" {
		t.Fatalf("%d LiveMonitoringEvaluated: %+v", len(evals), evals)
	}
	p, err := events.DecodeAs[events.LiveMonitoringEvaluated](f.reg, &evals[0].Event)
	if err != nil {
		t.Fatal(err)
	}
	if p.AsOf != snap.AsOf || p.Snapshot.Hash != snap.Hash || p.PolicyVersion != 1 || len(p.Strategies) != 2 {
		t.Fatalf("evaluated %+v", p)
	}
	s1, s2 := p.Strategies[0], p.Strategies[1]
	if s1.RunID != "live-w-s1-20260301110000" || s1.LiveReturnsLen != 4 || s1.BacktestSharpe == nil || *s1.BacktestSharpe != 1.0 || s2.BacktestSharpe != nil {
		t.Errorf("strategies %+v %+v", s1, s2)
	}
	for name, want := range map[string]float64{
		"live_sharpe_p2": 0.5, "live_sharpe_p4": 0.13018891098082383, "live_max_drawdown_p4": 0.02, "live_var_p01_p4": 0.0197,
		"live_es_p01_p2": 0.01, "live_sharpe": 0.5, "live_vs_backtest_sharpe_ratio": 0.5,
	} {
		if v := s1.Aggregates[name]; v == nil || !closeTo(*v, want) {
			t.Errorf("s1 %s = %v, want %v", name, v, want)
		}
	}
	if s2.Aggregates["live_sharpe"] != nil || s2.Aggregates["live_es_p01"] == nil || *s2.Aggregates["live_es_p01"] != 0 {
		t.Errorf("s2 aggregates %v", s2.Aggregates)
	}
	var r rules.RuleResult
	if err := json.Unmarshal(p.RuleResult, &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != rules.Fail || r.Reason != "live_sharpe_below_min, live_es_exceeds_max" {
		t.Errorf("rule result %+v", r)
	}
	if v, _ := r.Details.Get("es_mean"); v != 0.005 {
		t.Errorf("es_mean %v", v)
	}

	tags := f.ofType(t, events.TypeDemotionCandidateTagged)
	if len(tags) != 2 {
		t.Fatalf("%d demotion candidates, want 2", len(tags))
	}
	d, _ := events.DecodeAs[events.DemotionCandidateTagged](f.reg, &tags[0].Event)
	if tags[0].IdempotencyKey != "demotion:w:s1:2026-03-01T11:00:00Z" || d.StrategyID != "s1" || !d.RequiresManualReview ||
		strings.Join(d.ReasonCodes, ",") != "live_sharpe_below_min,live_es_exceeds_max" || d.Thresholds["sharpe_min"] != 0.6 || d.Thresholds["es_max"] != 0.004 ||
		d.DecayRatio == nil || !closeTo(*d.DecayRatio, 0.5) {
		t.Errorf("demotion %+v", d)
	}

	// The live runs were materialised and evaluated at stage live.
	v := f.view(t, "w", "s1", "live-w-s1-20260301110000")
	if v.Stage != "live" || v.Status != "evaluated" {
		t.Errorf("live run %+v", v)
	}
	if got, _ := metricAt(t, v, "diagnostics", "live_sharpe_p4"); !closeTo(got, 0.13018891098082383) {
		t.Errorf("live run metrics %s", v.Metrics)
	}

	// A tick on the same snapshot and policy, and the snapshot handled
	// again, record nothing.
	head := f.head(t)
	if err := l.Tick(f.ctx, "w"); err != nil {
		t.Fatal(err)
	}
	f.replay(t, 0)
	if h := f.head(t); h != head {
		t.Fatalf("a repeated tick recorded %d events", h-head)
	}
}

// TestLiveMonitoringSkips: a snapshot without realized returns triggers
// nothing, and an expired one is not used.
func TestLiveMonitoringSkips(t *testing.T) {
	f := newXFix(t)
	f.publish(t, "w", livePolicy)
	l := f.live(t, LiveConfig{})
	f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 1}})
	f.snapshot(t, snapshotSpec{world: "w", version: "v2", asOf: "2026-03-01T11:30:00Z", ttl: 30, weights: map[string]float64{"s1": 1},
		realized: &events.RealizedReturns{Series: []float64{0.01, 0.02}}})
	f.pump(t)
	if err := l.Tick(f.ctx, "w"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.ofType(t, events.TypeLiveMonitoringEvaluated)); n != 0 {
		t.Fatalf("%d passes, want none", n)
	}
}

// TestLiveScheduler: the scheduler finds the worlds with snapshots in the
// store, monitors each at once and then every interval, records one pass
// per (as_of, policy version) however often it ticks, and returns when its
// context ends.
func TestLiveScheduler(t *testing.T) {
	f := newXFix(t)
	f.publish(t, "w", livePolicy)
	// The scheduler reads the wall clock: a snapshot valid for ten years.
	f.snapshot(t, snapshotSpec{world: "w", version: "v1", weights: map[string]float64{"s1": 1}, ttl: 10 * 365 * 86400,
		realized: &events.RealizedReturns{ByStrategy: map[string][]float64{"s1": {0.01, -0.02, 0.03}}}})
	l, err := NewLiveMonitor(f.repo, RunViewSource{Runs: f.runs}, LiveConfig{Interval: 5 * time.Millisecond}, WithLiveClock(time.Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() { done <- l.RunScheduler(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(f.ofType(t, events.TypeLiveMonitoringEvaluated)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler never monitored the world")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond) // several more ticks
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(f.ofType(t, events.TypeLiveMonitoringEvaluated)); n != 1 {
		t.Fatalf("%d passes for one snapshot, want 1", n)
	}
}
