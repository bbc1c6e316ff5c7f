package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

// goldenPayloads holds the payloads TestEvaluatorPayloadsAreStable stores. It
// was written by the evaluator before its payloads were encoded without
// reflection (commit 9b839b4): stored payloads are hashed into the chains,
// so the same input must keep producing the same bytes. Set
// WORLDVAL_UPDATE_GOLDEN=1 to rewrite it, for a deliberate change of the
// stored form only.
const goldenPayloads = "testdata/evaluator_payloads.golden"

// TestEvaluatorPayloadsAreStable submits and evaluates runs that exercise
// every kind of value the verdict's events carry — derived and submitted
// metrics, text with HTML characters, control characters and non-ASCII,
// missing periods, every rule of the annotated example policy, a paper
// baseline, the fail-closed verdicts — and compares every stored payload,
// byte for byte, with the golden file.
func TestEvaluatorPayloadsAreStable(t *testing.T) {
	f := newFixture(t)
	yml, err := os.ReadFile("../validation/policy/testdata/annotated_example.yml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(yml)
	if err != nil {
		t.Fatal(err)
	}
	annotated, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	f.publish(t, "w1", string(annotated))
	f.publish(t, "w2", testPolicy)

	rng := rand.New(rand.NewPCG(7, 11))
	series := func(n int) []*float64 {
		out := make([]*float64, n)
		for i := range out {
			v := appendixB[i%len(appendixB)] + 0.004*rng.NormFloat64()
			if i%5 == 0 {
				v = float64(int64(v*1e6)) / 1e6 // as clients round
			}
			out[i] = &v
		}
		return out
	}
	withGap := series(120)
	withGap[17] = nil
	odd := `"a<b>&c \u2028 \u00e9 \n tab\t"`
	reqs := []events.EvaluationRunSubmitted{
		{WorldID: "w1", StrategyID: "s1", RunID: "r1", Stage: "backtest", Returns: series(252)},
		{WorldID: "w1", StrategyID: "s2", RunID: "r1", Stage: "paper", RiskTier: "high", ModelCardVersion: "3", Returns: withGap,
			Metrics: json.RawMessage(`{"diagnostics": {"returns_source": ` + odd + `, "search_intensity": 12,
				"extra_metrics": {"n_features": 3, "note<&>": ` + odd + `}}, "stress": {"crash<2020>": {"dd_max": -0.4, "es_99": 0.1}},
				"risk": {"adv_utilization_p95": 0.2, "participation_rate_p95": 0.01}, "benchmark": {"sharpe": 0.01}}`)},
		{WorldID: "w1", StrategyID: "s3", RunID: "r1", Stage: "live", Returns: series(60),
			Metrics: json.RawMessage(`{"returns": {"sharpe": 1.5e-7, "max_drawdown": 0.05}, "live_returns": [0.01, -0.02, 0.003]}`),
			Params:  json.RawMessage(`{"periods_per_year": 52, "risk_free_rate": 0.0001, "transaction_cost": 0.00002}`)},
		{WorldID: "w1", StrategyID: "s4", RunID: "r1", Stage: "backtest", Metrics: json.RawMessage(`{"sharpe": 3, "max_drawdown": 0.01, "sample": {"n_trades_total": 1e3}}`)},
		{WorldID: "w2", StrategyID: "s1", RunID: "r1", Stage: "paper", Returns: series(252), PolicyVersion: 1},
		{WorldID: "w2", StrategyID: "s2", RunID: "r1", Stage: "backtest", Returns: series(30), PolicyVersion: 9},
		{WorldID: "w2", StrategyID: "s3", RunID: "r1", Stage: "backtest", Returns: series(30), Params: json.RawMessage(`{"periods_per_year": -1}`)},
		{WorldID: "w3", StrategyID: "s1", RunID: "r1", Stage: "backtest", Returns: series(40)},
	}
	base := &metrics.Baseline{RunID: "bt<7>", Metrics: map[string]any{"returns": map[string]any{"sharpe": 0.05, "max_drawdown": 0.2, "var_p01": 0.02, "es_p01": 0.03}}}
	ev, err := NewEvaluator(f.repo, WithClock(func() time.Time { return fixedNow }), WithBaselines(fixedBaseline{base}))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for _, req := range reqs {
		rec := f.submit(t, req)
		if err := ev.Handle(f.ctx, rec); err != nil {
			t.Fatal(err)
		}
		recs, err := f.store.ReadStream(f.ctx, rec.Stream, 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			got.WriteString(r.Stream + "\t" + r.Type + "\t")
			got.Write(r.Payload)
			got.WriteByte('\n')
		}
	}
	if os.Getenv("WORLDVAL_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(goldenPayloads, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPayloads)
	if err != nil {
		t.Fatal(err)
	}
	gotLines, wantLines := bytes.Split(got.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w []byte
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if !bytes.Equal(g, w) {
			t.Fatalf("stored payload %d differs from %s:\ngot  %s\nwant %s", i+1, goldenPayloads, g, w)
		}
	}
}

// TestMarshalWithIsEventsMarshal: a rule result and a validation health are
// stored as events.Marshal writes them, bytes and errors, whether their own
// encoder writes them or declines.
func TestMarshalWithIsEventsMarshal(t *testing.T) {
	for _, r := range []rules.RuleResult{
		{Status: rules.Pass, Reason: "a<b & c", Tags: []string{"x"}, Details: rules.Details{{Key: "v", Value: 0.1}, {Key: "m", Value: map[string]any{"k": "<"}}}},
		{Status: rules.Fail, Details: rules.Details{{Key: "nan", Value: math.NaN()}}},
	} {
		got, err := marshalWith(r, r.AppendMarshal)
		want, wantErr := events.Marshal(r)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !bytes.Equal(got, want) {
			t.Errorf("%+v: %s (%v), events.Marshal %s (%v)", r, got, err, want, wantErr)
		}
	}
	for _, h := range []rules.Health{{MetricCoverageRatio: 0.5, RulesExecutedRatio: 1, ValidationErrorCount: 1}, {MetricCoverageRatio: math.Inf(1)}} {
		got, err := marshalWith(h, h.AppendMarshal)
		want, wantErr := events.Marshal(h)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !bytes.Equal(got, want) {
			t.Errorf("%+v: %s (%v), events.Marshal %s (%v)", h, got, err, want, wantErr)
		}
	}
}
