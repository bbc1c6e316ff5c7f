package projections_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/projections"
)

// t0 is the start of every scenario's clock.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// clock is the event store's recording clock: it stands still until a test
// moves it, so that recorded_at values are known.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fixture is a real sqlite event store with the catalogue and a settable
// recording clock.
type fixture struct {
	t     testing.TB
	ctx   context.Context
	es    *sqlite.Store
	reg   *events.Registry
	clock *clock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	reg := events.Catalogue()
	c := &clock{now: t0}
	es, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"),
		sqlite.WithRegistry(reg), sqlite.WithClock(c.Now))
	if err != nil {
		t.Fatalf("open event store: %v", err)
	}
	t.Cleanup(func() { es.Close() })
	return &fixture{t: t, ctx: context.Background(), es: es, reg: reg, clock: c}
}

// append records the payloads of one command on stream at recording time
// at (occurred_at = at as well), with ids derived from key.
func (f *fixture) append(stream, key string, at time.Time, payloads ...any) {
	f.t.Helper()
	evs := make([]events.Event, len(payloads))
	for i, p := range payloads {
		ev, err := f.reg.New(p, events.Meta{IdempotencyKey: key, Index: i, OccurredAt: at, Actor: "tester"})
		if err != nil {
			f.t.Fatalf("new event: %v", err)
		}
		evs[i] = ev
	}
	f.clock.Set(at)
	if _, err := f.es.Append(f.ctx, stream, eventstore.Any{}, evs...); err != nil {
		f.t.Fatalf("append %s: %v", stream, err)
	}
}

// all returns every stored event in global order.
func (f *fixture) all() []events.Record {
	f.t.Helper()
	recs, err := f.es.ReadAll(f.ctx, 0, 0)
	if err != nil {
		f.t.Fatalf("read all: %v", err)
	}
	return recs
}

func runStream(t testing.TB, w, s, r string) string {
	t.Helper()
	st, err := events.RunStream(w, s, r)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// submit records the submission of a run.
func (f *fixture) submit(w, s, r, stage string, at time.Time) {
	f.t.Helper()
	f.append(runStream(f.t, w, s, r), "submit:"+w+":"+s+":"+r, at, events.EvaluationRunSubmitted{
		WorldID: w, StrategyID: s, RunID: r, Stage: stage, RiskTier: "high", ModelCardVersion: "mc-3",
		Metrics:     json.RawMessage(`{"returns":{"sharpe":1.2,"max_drawdown":0.1}}`),
		RequestHash: "sha256:00", SubmittedBy: "runner",
	})
}

var coreRules = []string{"data_currency", "sample", "performance", "risk_constraint", "robustness"}

func ruleResult(status string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"status":%q,"severity":"blocking","owner":"quant","reason_code":"ok","reason":"fine","tags":[],"details":{}}`, status))
}

// complete records the evaluation of a run as one append: metrics, the
// five core rules (in reverse, to show the projection orders them) and the
// verdict.
func (f *fixture) complete(w, s, r, verdict string, at time.Time) {
	f.t.Helper()
	payloads := []any{events.MetricsComputed{
		Metrics:     json.RawMessage(`{"returns":{"sharpe":1.2,"max_drawdown":0.1,"psr":0.93},"diagnostics":{"validation_health":{"metric_coverage_ratio":0.1,"note":"submitted"}}}`),
		Derivations: []string{"psr"},
	}}
	for i := len(coreRules) - 1; i >= 0; i-- {
		status := "pass"
		if coreRules[i] == "performance" {
			status = verdict
		}
		payloads = append(payloads, events.RuleEvaluated{Rule: coreRules[i], Result: ruleResult(status), PolicyVersion: 2, RulesetHash: "blake3:ab", Profile: "paper"})
	}
	payloads = append(payloads, events.EvaluationCompleted{
		Status: verdict, RecommendedStage: "paper_only", Active: true, ActiveSet: []string{s},
		PolicyVersion: 2, RulesetHash: "blake3:ab", Profile: "paper",
		ValidationHealth: json.RawMessage(`{"metric_coverage_ratio":0.75,"rules_executed_ratio":1,"validation_error_count":0}`),
	})
	f.append(runStream(f.t, w, s, r), "complete:"+w+":"+s+":"+r, at, payloads...)
}

// extended records one extended-layer merge.
func (f *fixture) extended(w, s, r string, rev int, at time.Time) {
	f.t.Helper()
	f.append(runStream(f.t, w, s, r), fmt.Sprintf("extended:%s:%s:%s:%d", w, s, r, rev), at, events.ExtendedValidationCompleted{
		ExtendedRevision: rev, EvaluatedAt: at.Format(time.RFC3339), Stage: "paper",
		Trigger:         json.RawMessage(`{"event_type":"EvaluationCompleted"}`),
		PolicyVersion:   2,
		MetricsPatch:    json.RawMessage(`{"stress":{"crash_2020":{"dd_max":0.2}}}`),
		Results:         json.RawMessage(`{"stress":` + string(ruleResult("warn")) + `}`),
		ExtendedSummary: json.RawMessage(`{"status":"warn"}`),
	})
}

// override records an override decided at ts, due for review at due.
func (f *fixture) override(w, s, r, status, ts, due string, at time.Time) {
	f.t.Helper()
	o := events.OverrideRecorded{Status: status, Timestamp: ts, ReviewDue: due}
	if status == "approved" {
		o.Reason, o.Actor = "desk head accepts the drawdown", "risk-lead"
	}
	f.append(runStream(f.t, w, s, r), fmt.Sprintf("override:%s:%s:%s:%s:%s", w, s, r, status, at), at, o)
}

// expost records an ex-post failure.
func (f *fixture) expost(w, s, r, recordedAt string, at time.Time) {
	f.t.Helper()
	f.append(runStream(f.t, w, s, r), "expost:"+w+":"+s+":"+r+":"+recordedAt, at, events.ExPostFailureRecorded{
		CaseID: "case-1", Status: "confirmed", Category: "risk_breach", ReasonCode: "dd_breach",
		Severity: "high", Actor: "ops", RecordedAt: recordedAt, Source: "manual",
	})
}

// publish records a policy version (and, for the first, the default).
func (f *fixture) publish(w string, version int, doc string, at time.Time) {
	f.t.Helper()
	stream, err := events.PolicyStream(w)
	if err != nil {
		f.t.Fatal(err)
	}
	payloads := []any{events.PolicyPublished{
		WorldID: w, PolicyVersion: version, Policy: json.RawMessage(doc),
		Checksum: fmt.Sprintf("sha256:%02d", version), RulesetHash: map[string]string{"paper": "blake3:p", "live": "blake3:l"},
		PublishedBy: "risk-lead",
	}}
	if version == 1 {
		payloads = append(payloads, events.DefaultPolicySet{WorldID: w, PolicyVersion: 1})
	}
	f.append(stream, fmt.Sprintf("publish:%s:%d", w, version), at, payloads...)
}

// setDefault records a change of default version.
func (f *fixture) setDefault(w string, version, previous int, at time.Time) {
	f.t.Helper()
	stream, _ := events.PolicyStream(w)
	f.append(stream, fmt.Sprintf("default:%s:%d", w, version), at, events.DefaultPolicySet{WorldID: w, PolicyVersion: version, PreviousVersion: previous})
}

// projectionSet is the four projections over one memory store.
type projectionSet struct {
	store     *projections.MemoryStore
	runs      *projections.RunCurrent
	history   *projections.RunHistory
	policies  *projections.Policies
	overrides *projections.ApprovedOverrides
}

func newProjections(t testing.TB, reg *events.Registry) *projectionSet {
	t.Helper()
	s := projections.NewMemoryStore()
	ps := &projectionSet{store: s}
	var err error
	if ps.runs, err = projections.NewRunCurrent(s, reg); err != nil {
		t.Fatal(err)
	}
	if ps.history, err = projections.NewRunHistory(s, reg); err != nil {
		t.Fatal(err)
	}
	if ps.policies, err = projections.NewPolicies(s, reg); err != nil {
		t.Fatal(err)
	}
	if ps.overrides, err = projections.NewApprovedOverrides(s, reg); err != nil {
		t.Fatal(err)
	}
	return ps
}

func (ps *projectionSet) all() []projections.Projection {
	return []projections.Projection{ps.runs, ps.history, ps.policies, ps.overrides}
}

// applyEach applies recs one event at a time, as a live subscription does.
func (ps *projectionSet) applyEach(t testing.TB, recs []events.Record) {
	t.Helper()
	for _, p := range ps.all() {
		for _, r := range recs {
			if err := p.Apply(context.Background(), r); err != nil {
				t.Fatalf("%s: apply %d: %v", p.Name(), r.GlobalPosition, err)
			}
		}
	}
}

// applyBatch applies recs as one batch per projection.
func (ps *projectionSet) applyBatch(t testing.TB, recs []events.Record) {
	t.Helper()
	for _, p := range ps.all() {
		if err := p.ApplyBatch(context.Background(), recs); err != nil {
			t.Fatalf("%s: apply batch: %v", p.Name(), err)
		}
	}
}

// wantJSON compares the JSON encoding of got with want, ignoring
// insignificant whitespace but not key order.
func wantJSON(t testing.TB, what string, got any, want string) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: marshal: %v", what, err)
	}
	var w bytes.Buffer
	if err := json.Compact(&w, []byte(want)); err != nil {
		t.Fatalf("%s: bad expectation: %v", what, err)
	}
	if !bytes.Equal(g, w.Bytes()) {
		var gi, wi any
		_ = json.Unmarshal(g, &gi)
		_ = json.Unmarshal(w.Bytes(), &wi)
		same := reflect.DeepEqual(gi, wi)
		t.Fatalf("%s (semantically equal: %v):\n got %s\nwant %s", what, same, g, w.Bytes())
	}
}
