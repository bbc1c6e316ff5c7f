package client

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
)

// checkSubmitJSON asserts that marshalSubmit gives json.Marshal's bytes and
// error, and reports whether the fast path took the request.
func checkSubmitJSON(t *testing.T, req SubmitRequest) (fast bool) {
	t.Helper()
	want, wantErr := json.Marshal(req)
	got, err := marshalSubmit(&req)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("marshalSubmit(%#v)\n got %s (err %v)\nwant %s (err %v)", req, got, err, want, wantErr)
	}
	_, fast = req.appendJSON(nil)
	return fast
}

func TestMarshalSubmitIsJSONMarshal(t *testing.T) {
	cases := []struct {
		name string
		req  SubmitRequest
		fast bool
	}{
		{"minimal", SubmitRequest{StrategyID: "s", Returns: []float64{0.01}}, true},
		{"empty", SubmitRequest{}, true},
		{"every field", SubmitRequest{
			StrategyID: "trend", RunID: "r-1", Stage: "paper", RiskTier: "high", ModelCardVersion: "v2", PolicyVersion: 7,
			Returns: []float64{0.01, -0.02, 0, 1e-7, -3.5e21, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64},
			Metrics: json.RawMessage(` { "diagnostics" : { "search_intensity" : 200 } } `),
			Params:  &Params{PeriodsPerYear: 252, RiskFreeRate: -0.0001, TransactionCost: 2e-9}, IdempotencyKey: "k",
		}, true},
		{"negative policy version", SubmitRequest{StrategyID: "s", PolicyVersion: math.MinInt64 + 1}, true},
		{"empty params", SubmitRequest{StrategyID: "s", Params: &Params{}}, true},
		{"one param", SubmitRequest{StrategyID: "s", Params: &Params{RiskFreeRate: 0.5}}, true},
		{"escaped strings", SubmitRequest{StrategyID: "a<b>&\"c\\\n\u2028\xff", RunID: "é", IdempotencyKey: "\x00"}, true},
		{"empty returns", SubmitRequest{StrategyID: "s", Returns: []float64{}}, true},
		{"metrics with html", SubmitRequest{StrategyID: "s", Metrics: json.RawMessage(`{"note":"<b>"}`)}, false},
		{"metrics with line separator", SubmitRequest{StrategyID: "s", Metrics: json.RawMessage("{\"note\":\"\u2028\"}")}, false},
		{"invalid metrics", SubmitRequest{StrategyID: "s", Metrics: json.RawMessage(`{"a":`)}, false},
		{"NaN return", SubmitRequest{StrategyID: "s", Returns: []float64{math.NaN()}}, false},
		{"infinite param", SubmitRequest{StrategyID: "s", Params: &Params{PeriodsPerYear: math.Inf(1)}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if fast := checkSubmitJSON(t, c.req); fast != c.fast {
				t.Fatalf("fast path took the request: %v, want %v", fast, c.fast)
			}
		})
	}
}

// FuzzMarshalSubmit builds requests from the fuzz input and checks that
// marshalSubmit always gives json.Marshal's bytes and error.
func FuzzMarshalSubmit(f *testing.F) {
	f.Add("s", "r", "paper", int64(3), []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte(`{"a":1}`), 252.0, 0.0, 1e-9)
	f.Add("<&>", "", "", int64(0), []byte{}, []byte(" [ 1 , \"x\" ] "), 0.0, 0.0, 0.0)
	f.Add("\xff\u2028", "k", "live", int64(-1), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf8, 0x7f}, []byte(`{`), -1.5, 3e300, 0.0)
	f.Fuzz(func(t *testing.T, s, run, stage string, version int64, raw, metrics []byte, p1, p2, p3 float64) {
		req := SubmitRequest{StrategyID: s, RunID: run, Stage: stage, RiskTier: stage, ModelCardVersion: run,
			PolicyVersion: int(version), IdempotencyKey: s + run}
		for len(raw) >= 8 {
			req.Returns = append(req.Returns, math.Float64frombits(binary.LittleEndian.Uint64(raw)))
			raw = raw[8:]
		}
		if len(metrics) > 0 {
			req.Metrics = metrics
		}
		if p1 != 0 || p2 != 0 || p3 != 0 {
			req.Params = &Params{PeriodsPerYear: p1, RiskFreeRate: p2, TransactionCost: p3}
		}
		checkSubmitJSON(t, req)
	})
}

func BenchmarkMarshalSubmit(b *testing.B) {
	req := SubmitRequest{StrategyID: "trend", RunID: "r-1", Stage: "backtest", IdempotencyKey: "k"}
	for i := range 2520 {
		req.Returns = append(req.Returns, math.Round(math.Sin(float64(i))*1e4)/1e6) // six decimals, as returns usually are reported
	}
	b.Run("marshalSubmit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := marshalSubmit(&req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
