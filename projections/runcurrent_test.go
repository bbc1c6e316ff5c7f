package projections_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/projections"
)

const rPass = `{"status":"pass","severity":"blocking","owner":"quant","reason_code":"ok","reason":"fine","tags":[],"details":{}}`
const rWarn = `{"status":"warn","severity":"blocking","owner":"quant","reason_code":"ok","reason":"fine","tags":[],"details":{}}`

// lifecycle is the expected view of run w1/s1/r1 after each step of
// runLifecycle.
var lifecycle = []string{
	// 1: submitted
	`{"world_id":"w1","strategy_id":"s1","run_id":"r1","stage":"paper","risk_tier":"high","model_card_version":"mc-3",
	  "status":"evaluating",
	  "metrics":{"returns":{"sharpe":1.2,"max_drawdown":0.1}},
	  "validation":{"policy_version":null,"ruleset_hash":null,"profile":null,"results":{}},
	  "summary":{},
	  "created_at":"2026-03-02T09:01:00Z","updated_at":"2026-03-02T09:01:00Z","revision":1}`,
	// 2: evaluated (one append: metrics, five rules, verdict)
	`{"world_id":"w1","strategy_id":"s1","run_id":"r1","stage":"paper","risk_tier":"high","model_card_version":"mc-3",
	  "status":"evaluated",
	  "metrics":{"diagnostics":{"validation_health":{"metric_coverage_ratio":0.75,"note":"submitted","rules_executed_ratio":1,"validation_error_count":0}},
	             "returns":{"max_drawdown":0.1,"psr":0.93,"sharpe":1.2}},
	  "validation":{"policy_version":"2","ruleset_hash":"blake3:ab","profile":"paper",
	    "results":{"data_currency":` + rPass + `,"sample":` + rPass + `,"performance":` + rWarn + `,"risk_constraint":` + rPass + `,"robustness":` + rPass + `}},
	  "summary":{"status":"warn","recommended_stage":"paper_only","active":true,"active_set":["s1"]},
	  "created_at":"2026-03-02T09:01:00Z","updated_at":"2026-03-02T09:05:00Z","revision":2}`,
	// 3: extended layers merged
	`{"world_id":"w1","strategy_id":"s1","run_id":"r1","stage":"paper","risk_tier":"high","model_card_version":"mc-3",
	  "status":"evaluated",
	  "metrics":{"diagnostics":{"validation_health":{"metric_coverage_ratio":0.75,"note":"submitted","rules_executed_ratio":1,"validation_error_count":0}},
	             "returns":{"max_drawdown":0.1,"psr":0.93,"sharpe":1.2},"stress":{"crash_2020":{"dd_max":0.2}}},
	  "validation":{"policy_version":"2","ruleset_hash":"blake3:ab","profile":"paper",
	    "results":{"data_currency":` + rPass + `,"sample":` + rPass + `,"performance":` + rWarn + `,"risk_constraint":` + rPass + `,"robustness":` + rPass + `,"stress":` + rWarn + `},
	    "extended_revision":1,"extended_evaluated_at":"2026-03-02T09:10:00Z",
	    "extended_history":[{"revision":1,"evaluated_at":"2026-03-02T09:10:00Z",
	      "results":{"data_currency":` + rPass + `,"sample":` + rPass + `,"performance":` + rWarn + `,"risk_constraint":` + rPass + `,"robustness":` + rPass + `,"stress":` + rWarn + `}}],
	    "extended_summary":{"status":"warn"}},
	  "summary":{"status":"warn","recommended_stage":"paper_only","active":true,"active_set":["s1"]},
	  "created_at":"2026-03-02T09:01:00Z","updated_at":"2026-03-02T09:10:00Z","revision":3}`,
	// 4: approved override (updated_at is the override timestamp, in seconds)
	`{"world_id":"w1","strategy_id":"s1","run_id":"r1","stage":"paper","risk_tier":"high","model_card_version":"mc-3",
	  "status":"evaluated",
	  "metrics":{"diagnostics":{"validation_health":{"metric_coverage_ratio":0.75,"note":"submitted","rules_executed_ratio":1,"validation_error_count":0}},
	             "returns":{"max_drawdown":0.1,"psr":0.93,"sharpe":1.2},"stress":{"crash_2020":{"dd_max":0.2}}},
	  "validation":{"policy_version":"2","ruleset_hash":"blake3:ab","profile":"paper",
	    "results":{"data_currency":` + rPass + `,"sample":` + rPass + `,"performance":` + rWarn + `,"risk_constraint":` + rPass + `,"robustness":` + rPass + `,"stress":` + rWarn + `},
	    "extended_revision":1,"extended_evaluated_at":"2026-03-02T09:10:00Z",
	    "extended_history":[{"revision":1,"evaluated_at":"2026-03-02T09:10:00Z",
	      "results":{"data_currency":` + rPass + `,"sample":` + rPass + `,"performance":` + rWarn + `,"risk_constraint":` + rPass + `,"robustness":` + rPass + `,"stress":` + rWarn + `}}],
	    "extended_summary":{"status":"warn"}},
	  "summary":{"status":"warn","recommended_stage":"paper_only","active":true,"active_set":["s1"],
	    "override_status":"approved","override_reason":"desk head accepts the drawdown","override_actor":"risk-lead","override_timestamp":"2026-03-02T10:15:30.250+01:00"},
	  "created_at":"2026-03-02T09:01:00Z","updated_at":"2026-03-02T09:15:30Z","revision":4}`,
	// 5: ex-post failure (updated_at is its recorded_at)
	`{"world_id":"w1","strategy_id":"s1","run_id":"r1","stage":"paper","risk_tier":"high","model_card_version":"mc-3",
	  "status":"evaluated",
	  "metrics":{"diagnostics":{"validation_health":{"metric_coverage_ratio":0.75,"note":"submitted","rules_executed_ratio":1,"validation_error_count":0}},
	             "returns":{"max_drawdown":0.1,"psr":0.93,"sharpe":1.2},"stress":{"crash_2020":{"dd_max":0.2}}},
	  "validation":{"policy_version":"2","ruleset_hash":"blake3:ab","profile":"paper",
	    "results":{"data_currency":` + rPass + `,"sample":` + rPass + `,"performance":` + rWarn + `,"risk_constraint":` + rPass + `,"robustness":` + rPass + `,"stress":` + rWarn + `},
	    "extended_revision":1,"extended_evaluated_at":"2026-03-02T09:10:00Z",
	    "extended_history":[{"revision":1,"evaluated_at":"2026-03-02T09:10:00Z",
	      "results":{"data_currency":` + rPass + `,"sample":` + rPass + `,"performance":` + rWarn + `,"risk_constraint":` + rPass + `,"robustness":` + rPass + `,"stress":` + rWarn + `}}],
	    "extended_summary":{"status":"warn"}},
	  "summary":{"status":"warn","recommended_stage":"paper_only","active":true,"active_set":["s1"],
	    "override_status":"approved","override_reason":"desk head accepts the drawdown","override_actor":"risk-lead","override_timestamp":"2026-03-02T10:15:30.250+01:00",
	    "ex_post_failures":[{"case_id":"case-1","status":"confirmed","category":"risk_breach","reason_code":"dd_breach","severity":"high","actor":"ops","recorded_at":"2026-03-02T09:29:00Z","source":"manual"}]},
	  "created_at":"2026-03-02T09:01:00Z","updated_at":"2026-03-02T09:29:00Z","revision":5}`,
}

// lifecycleSteps records the steps of lifecycle, one per call, at t0+1m,
// +5m, +10m, +20m and +30m.
var lifecycleSteps = []func(f *fixture){
	func(f *fixture) { f.submit("w1", "s1", "r1", "paper", t0.Add(time.Minute)) },
	func(f *fixture) { f.complete("w1", "s1", "r1", "warn", t0.Add(5*time.Minute)) },
	func(f *fixture) { f.extended("w1", "s1", "r1", 1, t0.Add(10*time.Minute)) },
	func(f *fixture) {
		f.override("w1", "s1", "r1", "approved", "2026-03-02T10:15:30.250+01:00", "2026-04-01T09:15:30Z", t0.Add(20*time.Minute))
	},
	func(f *fixture) { f.expost("w1", "s1", "r1", "2026-03-02T09:29:00Z", t0.Add(30*time.Minute)) },
}

func TestRunCurrentFoldsEveryEventType(t *testing.T) {
	f := newFixture(t)
	live := newProjections(t, f.reg)    // event by event, as a subscription
	batched := newProjections(t, f.reg) // one batch per step
	var pos uint64
	for i, step := range lifecycleSteps {
		step(f)
		recs, err := f.es.ReadAll(f.ctx, pos, 0)
		if err != nil {
			t.Fatal(err)
		}
		pos = recs[len(recs)-1].GlobalPosition
		live.applyEach(t, recs)
		batched.applyBatch(t, recs)
		for name, ps := range map[string]*projectionSet{"event by event": live, "batched": batched} {
			v, err := ps.runs.Get(f.ctx, "w1", "s1", "r1")
			if err != nil {
				t.Fatalf("step %d (%s): get: %v", i+1, name, err)
			}
			wantJSON(t, name+" view after step "+string(rune('1'+i)), v, lifecycle[i])
		}
	}
}

func TestRunCurrentGetUnknown(t *testing.T) {
	f := newFixture(t)
	ps := newProjections(t, f.reg)
	for _, ids := range [][3]string{{"w1", "s1", "nope"}, {"", "s1", "r1"}, {"w1", "s1", ""}} {
		if _, err := ps.runs.Get(f.ctx, ids[0], ids[1], ids[2]); !errors.Is(err, projections.ErrNotFound) {
			t.Errorf("get %q: %v, want ErrNotFound", ids, err)
		}
	}
}

func TestRunCurrentRefusesEventsBeforeSubmission(t *testing.T) {
	f := newFixture(t)
	f.override("w1", "s1", "ghost", "rejected", "", "", t0)
	ps := newProjections(t, f.reg)
	err := ps.runs.ApplyBatch(context.Background(), f.all())
	if err == nil || !strings.Contains(err.Error(), "before the submission") {
		t.Fatalf("apply: %v, want an error about the missing submission", err)
	}
}

// TestRunCurrentStatus checks that Status answers what Get's view says at
// every step of a run's life, from a store that keeps Go values and from one
// that keeps bytes only, and ErrNotFound for a run it does not hold.
func TestRunCurrentStatus(t *testing.T) {
	f := newFixture(t)
	stores := map[string]projections.Store{
		"values": projections.NewMemoryStore(),
		"bytes":  bytesStore{projections.NewMemoryStore()},
	}
	runs := map[string]*projections.RunCurrent{}
	for name, s := range stores {
		p, err := projections.NewRunCurrent(s, f.reg)
		if err != nil {
			t.Fatal(err)
		}
		runs[name] = p
	}
	wantStatus := []string{projections.StatusEvaluating, projections.StatusEvaluated, projections.StatusEvaluated,
		projections.StatusEvaluated, projections.StatusEvaluated}
	var pos uint64
	for i, step := range lifecycleSteps {
		step(f)
		recs, err := f.es.ReadAll(f.ctx, pos, 0)
		if err != nil {
			t.Fatal(err)
		}
		pos = recs[len(recs)-1].GlobalPosition
		for name, p := range runs {
			if err := p.ApplyBatch(f.ctx, recs); err != nil {
				t.Fatalf("step %d (%s): %v", i+1, name, err)
			}
			got, err := p.Status(f.ctx, "w1", "s1", "r1")
			if err != nil {
				t.Fatalf("step %d (%s): status: %v", i+1, name, err)
			}
			v, err := p.Get(f.ctx, "w1", "s1", "r1")
			if err != nil {
				t.Fatalf("step %d (%s): get: %v", i+1, name, err)
			}
			if got != wantStatus[i] || got != v.Status {
				t.Fatalf("step %d (%s): status %q, view says %q, want %q", i+1, name, got, v.Status, wantStatus[i])
			}
		}
	}
	for name, p := range runs {
		for _, ids := range [][3]string{{"w1", "s1", "nope"}, {"", "s1", "r1"}} {
			if _, err := p.Status(f.ctx, ids[0], ids[1], ids[2]); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("%s: status %q: %v, want ErrNotFound", name, ids, err)
			}
		}
	}
}
