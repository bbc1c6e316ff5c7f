package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/worldval/worldval/internal/jsonfast/jsonfasttest"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

// referenceObject is how Details and Results were encoded through
// encoding/json alone, member by member: the reference the hand-written
// encoders must reproduce, bytes and errors.
func referenceObject(what string, n int, at func(i int) (string, any)) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i < n; i++ {
		key, val := at(i)
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(val)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", what, key, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encodeStored encodes v as events.Marshal does through encoding/json: an
// Encoder with SetEscapeHTML(false), without the newline.
func encodeStored(v any) ([]byte, error) {
	return jsonfasttest.MarshalNoHTML(v)
}

// checkResultJSON compares every encoding of r with encoding/json's: its
// details (MarshalJSON) with the member-by-member reference, bytes and
// error; AppendMarshal with an Encoder without HTML escaping, declining
// exactly when the Encoder fails.
func checkResultJSON(t *testing.T, r RuleResult) {
	t.Helper()
	got, err := r.Details.MarshalJSON()
	want, wantErr := referenceObject("detail", len(r.Details), func(i int) (string, any) { return r.Details[i].Key, r.Details[i].Value })
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || !bytes.Equal(got, want) {
		t.Fatalf("details %+v: %s (%v), want %s (%v)", r.Details, got, err, want, wantErr)
	}
	stored, storedErr := encodeStored(r)
	fast, ok := r.AppendMarshal([]byte("x"))
	switch {
	case ok != (storedErr == nil):
		t.Fatalf("%+v: AppendMarshal ok %v, encoding/json error %v", r, ok, storedErr)
	case ok && string(fast) != "x"+string(stored):
		t.Fatalf("%+v:\nAppendMarshal %s\nencoding/json  x%s", r, fast, stored)
	case !ok && string(fast) != "x":
		t.Fatalf("%+v: a declining AppendMarshal returned %q", r, fast)
	}
}

// checkResultsJSON checks each result and the results as one object.
func checkResultsJSON(t *testing.T, rs Results) {
	t.Helper()
	for _, r := range rs {
		checkResultJSON(t, r.Result)
	}
	got, err := rs.MarshalJSON()
	want, wantErr := referenceObject("result", len(rs), func(i int) (string, any) { return rs[i].Name, rs[i].Result })
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || !bytes.Equal(got, want) {
		t.Fatalf("results: %s (%v), want %s (%v)", got, err, want, wantErr)
	}
}

func TestResultJSONIsEncodingJSON(t *testing.T) {
	odd := "<a href=\"x\">&amp;</a> \\ \x00\x1f\b\f\n\r\t é \u2028\u2029 \xff end"
	f := func(x float64) *float64 { return &x }
	for _, r := range []RuleResult{
		{},
		{Status: Pass, Severity: policy.Blocking, Owner: policy.Ops, ReasonCode: "ok", Reason: "fine", Tags: []string{}, Details: Details{}},
		{Status: Status(odd), Severity: policy.Severity(odd), Owner: policy.Owner(odd), ReasonCode: odd, Reason: odd, Tags: []string{odd, "x"},
			Details: Details{
				{odd, odd}, {"nil", nil}, {"f", 0.023058731814868432}, {"tiny", 1e-9}, {"huge", 1e21}, {"neg0", math.Copysign(0, -1)},
				{"i", -42}, {"b", true}, {"ss", []string{odd}}, {"ssnil", []string(nil)},
				{"names", newMetricNames(metrics.FlatOf(map[string]float64{"b": 1, "a<": 2, odd: 3}))}, {"nonames", MetricNames{}},
				{"violations", []Violation{{Metric: odd, Reason: "below_min", Min: f(2), Value: f(1), Blocking: true}, {Metric: "m", Reason: "missing_metric", Mode: "warn"}, {Max: f(0.25), Value: f(1e-7)}}},
				{"noviolations", []Violation(nil)}, {"emptyviolations", []Violation{}},
				{"nested", Details{{"x", 1.5}, {odd, Details(nil)}}}, {"nilnested", Details(nil)},
				{"blocked_by", []blocker{{StrategyID: odd, Correlation: 0.9}}},
				{"map", map[string]any{"z": 1.0, "a": []any{odd, nil}}},
				{"result", RuleResult{Reason: odd, Details: Details{{"k", odd}}}},
			}},
		// Values encoding/json refuses: AppendMarshal declines, MarshalJSON
		// reports the reference's error.
		{Details: Details{{"nan", math.NaN()}}},
		{Details: Details{{"inf", []Violation{{Value: f(math.Inf(1))}}}}},
		{Details: Details{{"deep", Details{{"inf", math.Inf(-1)}}}}},
		{Details: Details{{"ch", make(chan int)}}},
	} {
		checkResultJSON(t, r)
		checkResultsJSON(t, Results{{Name: "a<b", Result: r}, {Name: "second", Result: RuleResult{Reason: "x"}}})
	}
}

func TestHealthAppendMarshalIsEncodingJSON(t *testing.T) {
	for _, h := range []Health{{}, {MetricCoverageRatio: 0.8333333333333334, RulesExecutedRatio: 1, ValidationErrorCount: 2}, {MetricCoverageRatio: 1e-7, ValidationErrorCount: -1}, {RulesExecutedRatio: math.NaN()}} {
		want, err := encodeStored(h)
		got, ok := h.AppendMarshal(nil)
		if ok != (err == nil) || ok && !bytes.Equal(got, want) {
			t.Errorf("%+v: AppendMarshal %s (%v), encoding/json %s (%v)", h, got, ok, want, err)
		}
	}
}

// TestResultsOfEvaluationEncodeAsBefore encodes the results of the
// annotated example policy at every stage, whose details hold every kind of
// value the rules produce.
func TestResultsOfEvaluationEncodeAsBefore(t *testing.T) {
	p := annotated(t)
	for _, stage := range []string{"backtest", "paper", "live"} {
		for _, d := range []map[string]any{annotatedMetrics(), {}, benchDoc()} {
			out := Evaluate(p, Input{StrategyID: "s1", Stage: stage, Metrics: d, Previous: []string{"s1", "s2"}})
			checkResultsJSON(t, out.Validation.Results)
		}
	}
}

// BenchmarkResultJSON encodes the results of one evaluation of the
// annotated example policy as the evaluator stores them, one per rule:
// AppendMarshal against encoding/json.
func BenchmarkResultJSON(b *testing.B) {
	out := Evaluate(annotated(b), Input{StrategyID: "s1", Stage: "backtest", Metrics: benchDoc(), Previous: []string{"s1"}})
	rs := out.Validation.Results
	b.Run("AppendMarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range rs {
				if _, ok := r.Result.AppendMarshal(nil); !ok {
					b.Fatal("declined")
				}
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range rs {
				if _, err := encodeStored(r.Result); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func TestMetricNamesMarshalJSONIsEncodingJSON(t *testing.T) {
	for _, flat := range []*metrics.Flat{nil, metrics.FlatOf(nil), metrics.FlatOf(map[string]float64{"b": 1, "a<&>": 2, "é\u2028": 3, "\xff": 4, "returns.sharpe": 5})} {
		n := newMetricNames(flat)
		got, err := n.MarshalJSON()
		want, wantErr := json.Marshal(n.Names())
		if err != nil || wantErr != nil || !bytes.Equal(got, want) {
			t.Errorf("%v: %s (%v), encoding/json %s (%v)", flat.Map(), got, err, want, wantErr)
		}
	}
}
