package evaluationrun

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/worldval/worldval/aggregates/internal/canon"
	"github.com/worldval/worldval/events"
)

// fuzzRequest builds a request from fuzz input: every string field, both
// documents and a return series decoded from raw bytes, so that the
// strings may hold anything (invalid UTF-8, HTML, quotes) and the series
// any float, null or non-finite value.
func fuzzRequest(s1, s2, s3 string, metrics, params []byte, returns []byte, version int) events.EvaluationRunSubmitted {
	req := events.EvaluationRunSubmitted{
		WorldID: s1, StrategyID: s2, RunID: s3, Stage: s2 + s3, RiskTier: s1,
		ModelCardVersion: s3, CampaignID: s1 + s2, Metrics: metrics, Params: params,
		PolicyVersion: version, SubmittedBy: s2, RequestHash: s3,
	}
	if len(returns) > 0 {
		req.Returns = make(events.ReturnSeries, 0, len(returns)/8+1)
		for i := 0; i+8 <= len(returns); i += 8 {
			var bits uint64
			for _, b := range returns[i : i+8] {
				bits = bits<<8 | uint64(b)
			}
			f := math.Float64frombits(bits)
			if bits%7 == 0 {
				req.Returns = append(req.Returns, nil)
				continue
			}
			req.Returns = append(req.Returns, &f)
		}
	}
	return req
}

// FuzzCanonicalRequestMatchesCanonMarshal: the field-by-field writer gives
// exactly the bytes of canon.Marshal, and fails exactly when it fails, so
// that every stored request_hash stays the hash of its request.
func FuzzCanonicalRequestMatchesCanonMarshal(f *testing.F) {
	f.Add("w1", "s1", "r1", []byte(`{"returns":{"sharpe":1.50,"x":[1e3,-0]}}`), []byte(`{"periods_per_year":252}`), []byte{0x3f, 0x84, 0x7a, 0xe1, 0x47, 0xae, 0x14, 0x7b}, 2)
	f.Add("<w>&", "é\xff\xfe", "\u2028\"\\", []byte(`null`), []byte(``), []byte{}, 0)
	f.Add("", "", "", []byte(`{"a":1,"a":2} `), []byte(`[1,`), []byte{0x7f, 0xf0, 0, 0, 0, 0, 0, 0}, -3)
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, metrics, params, returns []byte, version int) {
		req := fuzzRequest(s1, s2, s3, metrics, params, returns, version)
		want, wantErr := canon.Marshal(req)
		got, err := canonicalRequest(req)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("canonicalRequest error %v, canon.Marshal error %v", err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("canonicalRequest\n%s\ncanon.Marshal\n%s", got, want)
		}
	})
}

func TestCanonicalRequestOfARealSubmission(t *testing.T) {
	returns := make(events.ReturnSeries, 252)
	for i := range returns {
		v := math.Sin(float64(i)) / 100
		returns[i] = &v
	}
	returns[17] = nil
	req := Normalize(events.EvaluationRunSubmitted{WorldID: "w", StrategyID: "s", RunID: "r", Returns: returns,
		Metrics: json.RawMessage(`{ "returns": {"sharpe": 1.2, "max_drawdown": 0.10} }`), Params: json.RawMessage(`{"periods_per_year": 252}`)})
	want, err := canon.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := canonicalRequest(req)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("canonicalRequest = %s, %v\nwant %s", got, err, want)
	}
}

func BenchmarkRequestHash(b *testing.B) {
	returns := make(events.ReturnSeries, 252)
	for i := range returns {
		v := math.Sin(float64(i)) / 100
		returns[i] = &v
	}
	req := events.EvaluationRunSubmitted{WorldID: "w", StrategyID: "s", RunID: "r", Returns: returns, Metrics: json.RawMessage(`{"returns":{"sharpe":1.2}}`)}
	b.Run("canon.Marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := canon.Marshal(Normalize(req)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("canonicalRequest", func(b *testing.B) {
		for b.Loop() {
			if _, err := canonicalRequest(Normalize(req)); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The whole hash of a request as `worldval bench ingest` submits it:
	// returns with six decimals, as clients round them.
	six := make(events.ReturnSeries, 252)
	for i := range six {
		v := math.Round(math.Sin(float64(i))*1e4) / 1e6
		six[i] = &v
	}
	req6 := events.EvaluationRunSubmitted{WorldID: "bench", StrategyID: "s042", RunID: "r1795675422-0000042", Stage: "backtest", Returns: six}
	b.Run("RequestHash/six-decimals", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := RequestHash(req6); err != nil {
				b.Fatal(err)
			}
		}
	})
}
