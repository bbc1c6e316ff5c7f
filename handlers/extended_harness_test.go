package handlers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/projections"
)

// xfix drives the evaluator, the run read model and the extended-layer
// handlers over a real sqlite store, in global order, the way the
// service's runners do.
type xfix struct {
	*fixture
	runs     *projections.RunCurrent
	eval     *Evaluator
	handlers []func(rec events.Record) error
	pos      uint64
}

func newXFix(t *testing.T) *xfix {
	t.Helper()
	f := newFixture(t)
	runs, err := projections.NewRunCurrent(projections.NewMemoryStore(), f.reg)
	if err != nil {
		t.Fatal(err)
	}
	eval, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }), WithBaselines(RunViewBaselines{Runs: runs}))
	if err != nil {
		t.Fatal(err)
	}
	return &xfix{fixture: f, runs: runs, eval: eval}
}

// extended adds an extended validator with the given configuration.
func (f *xfix) extended(t *testing.T, cfg ExtendedConfig) *ExtendedValidator {
	t.Helper()
	x, err := NewExtendedValidator(f.repo, RunViewSource{Runs: f.runs}, cfg, WithExtendedClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	f.handlers = append(f.handlers, func(rec events.Record) error { return x.Handle(f.ctx, rec) })
	return x
}

// syncRuns folds every stored event into the run read model.
func (f *xfix) syncRuns(t *testing.T) {
	t.Helper()
	cp, err := f.runs.Checkpoint(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := f.store.ReadAll(f.ctx, cp, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) > 0 {
		if err := f.runs.ApplyBatch(f.ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
}

// pump hands every event not yet handled to the evaluator and then to each
// handler, after the read model has caught up, until nothing new is
// appended.
func (f *xfix) pump(t *testing.T) {
	t.Helper()
	for {
		recs, err := f.store.ReadAll(f.ctx, f.pos, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return
		}
		for _, rec := range recs {
			if err := f.eval.Handle(f.ctx, rec); err != nil {
				t.Fatal(err)
			}
			f.syncRuns(t)
			for _, h := range f.handlers {
				if err := h(rec); err != nil {
					t.Fatal(err)
				}
			}
			f.pos = rec.GlobalPosition
		}
	}
}

// replay hands the events in (from, to] to the handlers again, as a runner
// restarted from an older checkpoint would.
func (f *xfix) replay(t *testing.T, from uint64) {
	t.Helper()
	recs, err := f.store.ReadAll(f.ctx, from, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		for _, h := range f.handlers {
			if err := h(rec); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// head returns the store's head position.
func (f *xfix) head(t *testing.T) uint64 {
	t.Helper()
	h, err := f.store.Head(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// ofType returns the stored events of a type, in global order.
func (f *xfix) ofType(t *testing.T, typ string) []events.Record {
	t.Helper()
	recs, err := f.store.ReadAll(f.ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Record
	for _, r := range recs {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// evaluated submits a run with precomputed metrics (evaluated by pump).
func (f *xfix) evaluated(t *testing.T, world, strategy, run, stage, metrics string) {
	t.Helper()
	f.submit(t, events.EvaluationRunSubmitted{WorldID: world, StrategyID: strategy, RunID: run, Stage: stage, RiskTier: "unknown", Metrics: json.RawMessage(metrics)})
}

// snapshotSpec is a risk snapshot as a test records it.
type snapshotSpec struct {
	world, version, asOf, stage string
	weights, cov                map[string]float64
	realized                    *events.RealizedReturns
	stress, constraints         string
	ttl                         int64
}

// snapshot records a RiskSnapshotRecorded as the ledger would: created one
// minute before fixedNow, valid for a day unless ttl says otherwise.
func (f *xfix) snapshot(t *testing.T, s snapshotSpec) events.RiskSnapshotRecorded {
	t.Helper()
	if s.asOf == "" {
		s.asOf = "2026-03-01T11:00:00Z"
	}
	if s.stage == "" {
		s.stage = "live"
	}
	if s.ttl == 0 {
		s.ttl = 86400
	}
	asOf, err := time.Parse(time.RFC3339, s.asOf)
	if err != nil {
		t.Fatal(err)
	}
	created := fixedNow.Add(-time.Minute)
	p := events.RiskSnapshotRecorded{
		WorldID: s.world, Version: s.version, AsOf: s.asOf, AsOfInstant: events.FormatTime(asOf),
		Hash:      "sha256:" + s.world + "-" + s.version,
		CreatedAt: created.Format(time.RFC3339), TTLSec: s.ttl, ExpiresAt: created.Add(time.Duration(s.ttl) * time.Second).Format(time.RFC3339),
		Weights: s.weights, Covariance: s.cov, RealizedReturns: s.realized,
		Provenance: json.RawMessage(`{"actor":"risk-engine","stage":"` + s.stage + `"}`), Ingress: events.IngressHTTP,
	}
	if s.stress != "" {
		p.Stress = json.RawMessage(s.stress)
	}
	if s.constraints != "" {
		p.Constraints = json.RawMessage(s.constraints)
	}
	stream, _ := events.RiskSnapshotStream(s.world)
	ev, err := f.reg.New(p, events.Meta{IdempotencyKey: events.RiskSnapshotKey(s.world, s.version, p.Hash), OccurredAt: created, Actor: "risk-engine"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Append(f.ctx, stream, eventstore.Any{}, ev); err != nil {
		t.Fatal(err)
	}
	return p
}

// extendedOf returns the ExtendedValidationCompleted payloads of a run.
func (f *xfix) extendedOf(t *testing.T, world, strategy, run string) []*events.ExtendedValidationCompleted {
	t.Helper()
	stream, _ := events.RunStream(world, strategy, run)
	recs, err := f.store.ReadStream(f.ctx, stream, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []*events.ExtendedValidationCompleted
	for i := range recs {
		if recs[i].Type != events.TypeExtendedValidationCompleted {
			continue
		}
		p, err := events.DecodeAs[events.ExtendedValidationCompleted](f.reg, &recs[i].Event)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// view returns the run read model's view of a run, caught up.
func (f *xfix) view(t *testing.T, world, strategy, run string) projections.RunView {
	t.Helper()
	f.syncRuns(t)
	v, err := f.runs.Get(f.ctx, world, strategy, run)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// metricAt reads a number from a view's metrics document.
func metricAt(t *testing.T, v projections.RunView, path ...string) (float64, bool) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(v.Metrics, &doc); err != nil {
		t.Fatal(err)
	}
	n, ok := valueAt(doc, path...).(float64)
	return n, ok
}

// live adds a live monitor with the given configuration.
func (f *xfix) live(t *testing.T, cfg LiveConfig) *LiveMonitor {
	t.Helper()
	l, err := NewLiveMonitor(f.repo, RunViewSource{Runs: f.runs}, cfg, WithLiveClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	f.handlers = append(f.handlers, func(rec events.Record) error { return l.Handle(f.ctx, rec) })
	return l
}

// exit adds an exit engine with the given configuration.
func (f *xfix) exit(t *testing.T, cfg ExitConfig) *ExitEngine {
	t.Helper()
	e, err := NewExitEngine(f.repo, cfg, WithExitClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	f.handlers = append(f.handlers, func(rec events.Record) error { return e.Handle(f.ctx, rec) })
	return e
}
