package projections_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

// settings records world settings.
func (f *fixture) settings(s events.WorldSettingsUpdated, at time.Time) {
	f.t.Helper()
	stream, err := events.WorldStream(s.WorldID)
	if err != nil {
		f.t.Fatal(err)
	}
	f.append(stream, "settings:"+s.WorldID+":"+at.String(), at, s)
}

func TestInvariantsInputs(t *testing.T) {
	f := newFixture(t)
	f.publish("w1", 1, `{}`, t0)
	f.submit("w1", "s1", "r1", "live", t0.Add(time.Minute))
	f.submit("w2", "s9", "r9", "paper", t0.Add(2*time.Minute))
	f.complete("w1", "s1", "r1", "pass", t0.Add(3*time.Minute))
	f.submit("w1", "s2", "r2", "paper", t0.Add(4*time.Minute)) // stays evaluating
	f.extended("w1", "s1", "r1", 1, t0.Add(5*time.Minute))
	f.override("w1", "s1", "r1", "approved", "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z", t0.Add(6*time.Minute))
	f.expost("w1", "s1", "r1", "2026-03-02T10:00:00Z", t0.Add(7*time.Minute))
	f.publish("w1", 2, `{}`, t0.Add(8*time.Minute))
	f.setDefault("w1", 2, 1, t0.Add(9*time.Minute))
	f.settings(events.WorldSettingsUpdated{WorldID: "w1", RiskProfile: &events.WorldRiskProfile{Tier: "high", ClientCritical: true}}, t0.Add(10*time.Minute))
	f.settings(events.WorldSettingsUpdated{WorldID: "w3", ClientCritical: true}, t0.Add(11*time.Minute))
	recs := f.all()

	ctx := context.Background()
	one := invariantReader(t, f.reg)
	batch := invariantReader(t, f.reg)
	for _, p := range []projections.Projection{one.Records, one.Runs} {
		for _, r := range recs {
			if err := p.Apply(ctx, r); err != nil {
				t.Fatalf("%s: apply %d: %v", p.Name(), r.GlobalPosition, err)
			}
		}
	}
	for _, p := range []projections.Projection{batch.Records, batch.Runs} {
		if err := p.ApplyBatch(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}

	in, err := one.World(ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := batch.World(ctx, "w1"); !reflect.DeepEqual(in, again) {
		t.Fatalf("event by event and batch differ:\n%+v\n%+v", in, again)
	}
	if in.World.WorldID != "w1" || in.World.DefaultPolicyVersion != 2 || in.World.Settings == nil || in.World.Settings.RiskProfile.Tier != "high" {
		t.Fatalf("world %+v", in.World)
	}
	if len(in.Runs) != 2 || in.Runs[0].RunID != "r1" || in.Runs[1].RunID != "r2" || in.Runs[1].Status != projections.StatusEvaluating {
		t.Fatalf("runs %+v", in.Runs)
	}
	r1 := in.Runs[0]
	// Trimmed: the core blocks and the validation health only.
	wantJSON(t, "metrics", r1.Metrics, `{"diagnostics":{"validation_health":{"metric_coverage_ratio":0.75,"note":"submitted","rules_executed_ratio":1,"validation_error_count":0}},"returns":{"max_drawdown":0.1,"psr":0.93,"sharpe":1.2}}`)
	wantJSON(t, "results", r1.Validation.Results, `{"data_currency":{"reason_code":"ok"},"sample":{"reason_code":"ok"},"performance":{"reason_code":"ok"},"risk_constraint":{"reason_code":"ok"},"robustness":{"reason_code":"ok"},"stress":{"reason_code":"ok"}}`)
	if r1.Summary.Status != "pass" || r1.Summary.Override == nil || r1.Summary.OverrideStatus != "approved" ||
		r1.Summary.ExPostFailures != nil || r1.Validation.ExtendedHistory != nil || *r1.Validation.PolicyVersion != "2" || r1.CreatedAt != "2026-03-02T09:01:00Z" {
		t.Fatalf("run %+v", r1)
	}

	worlds, err := one.Worlds(ctx)
	if err != nil || !reflect.DeepEqual(worlds, []string{"w1", "w2", "w3"}) {
		t.Fatalf("worlds %v, %v", worlds, err)
	}
	unknown, err := one.World(ctx, "nowhere")
	if err != nil || unknown.World.WorldID != "nowhere" || len(unknown.Runs) != 0 || unknown.Runs == nil {
		t.Fatalf("unknown world %+v, %v", unknown, err)
	}
	w3, _ := one.World(ctx, "w3")
	if w3.World.Settings == nil || !w3.World.Settings.ClientCritical || w3.World.DefaultPolicyVersion != 0 {
		t.Fatalf("w3 %+v", w3.World)
	}
}

// invariantReader returns a reader over two new projections, each over its
// own store.
func invariantReader(t *testing.T, reg *events.Registry) projections.InvariantReader {
	t.Helper()
	records, err := projections.NewInvariants(projections.NewMemoryStore(), reg)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), reg)
	if err != nil {
		t.Fatal(err)
	}
	return projections.InvariantReader{Records: records, Runs: runs}
}

func TestInvariantsRefuseMisplacedWorldEvents(t *testing.T) {
	f := newFixture(t)
	f.append("world/elsewhere", "k", t0, events.WorldSettingsUpdated{WorldID: "w1"})
	p, _ := projections.NewInvariants(projections.NewMemoryStore(), f.reg)
	if err := p.ApplyBatch(context.Background(), f.all()); err == nil {
		t.Fatal("settings of w1 on the stream of another world were folded")
	}
}

// TestInvariantsToleratesOddMetrics checks that metrics that are not an
// object (which the API refuses, but another producer might record) do not
// fail the report.
func TestInvariantsToleratesOddMetrics(t *testing.T) {
	f := newFixture(t)
	stream := runStream(t, "w1", "s1", "r1")
	f.append(stream, "odd", t0, events.EvaluationRunSubmitted{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "live", Metrics: []byte(`[1,2]`), RequestHash: "h"})
	r := invariantReader(t, f.reg)
	if err := r.Runs.ApplyBatch(context.Background(), f.all()); err != nil {
		t.Fatal(err)
	}
	in, err := r.World(context.Background(), "w1")
	if err != nil || len(in.Runs) != 1 || string(in.Runs[0].Metrics) != `{}` {
		t.Fatalf("inputs %+v, %v", in, err)
	}
}
