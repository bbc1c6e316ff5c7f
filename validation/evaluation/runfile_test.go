package evaluation

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestDecodeRunFileErrorsNameTheField(t *testing.T) {
	cases := []struct{ in, path string }{
		{`[1,2]`, "run"},
		{`{"world_id":"w"} {}`, "run"},
		{`{"world_id":"w"}`, "run"}, // neither metrics nor returns
		{`{"world_id":1,"returns":[0.1]}`, "world_id"},
		{`{"stage":"production","returns":[0.1]}`, "stage"},
		{`{"returns":[0.1],"colour":"red"}`, "colour"},
		{`{"returns":[0.1,"abc"]}`, "returns[1]"},
		{`{"returns":[0.1,true]}`, "returns[1]"},
		{`{"returns":[0.1,1e400]}`, "returns[1]"},
		{`{"returns":"0.1,0.2"}`, "returns"},
		{`{"metrics":[1]}`, "metrics"},
		{`{"metrics":{"returns":{"sharpe":"high"}}}`, "metrics.returns.sharpe"},
		{`{"metrics":{"sharpe":true}}`, "metrics.sharpe"}, // flat payload: checked as the returns block, named as written
		{`{"metrics":{"risk":[1]}}`, "metrics.risk"},
		{`{"metrics":{"sample":{"regime_coverage":0.5}}}`, "metrics.sample.regime_coverage"},
		{`{"returns":[0.1],"params":{"periods_per_year":"daily"}}`, "params.periods_per_year"},
		{`{"returns":[0.1],"params":{"ppy":252}}`, "params.ppy"},
		{`{"returns":[0.1],"params":{"periods_per_year":-1}}`, "params.periods_per_year"},
		{`{"returns":[0.1],"params":{"periods_per_year":0}}`, "params.periods_per_year"},
		{`{"series":{"returns":[0.1],"prices":[1]}}`, "series.prices"},
		{`{"returns":[0.1],"series":{"pnl":[0.1]}}`, "series"},
	}
	for _, c := range cases {
		_, err := DecodeRunFile([]byte(c.in))
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want a *FieldError", c.in, err)
			continue
		}
		if fe.Path != c.path {
			t.Errorf("%s: path %q (%v), want %q", c.in, fe.Path, err, c.path)
		}
	}
}

func TestDecodeRunFileAccepts(t *testing.T) {
	rf, err := DecodeRunFile([]byte(`{"world_id":"w","strategy_id":"s","run_id":"r","stage":"Paper","risk_tier":"HIGH",
		"returns":[0.01,null,-0.02,3],"params":{"periods_per_year":365,"search_intensity":12},
		"metrics":{"sample":{"n_trades_total":40},"diagnostics":{"extra_metrics":{"x":1}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if rf.WorldID != "w" || rf.StrategyID != "s" || rf.RunID != "r" || rf.Stage != "Paper" || rf.RiskTier != "HIGH" {
		t.Fatalf("ids: %+v", rf)
	}
	if !rf.HasReturns || len(rf.Returns) != 3 || rf.Returns[2] != 3 {
		t.Fatalf("returns %v (nulls are skipped)", rf.Returns)
	}
	if rf.Params.PeriodsPerYear != 365 {
		t.Fatalf("ppy %v", rf.Params.PeriodsPerYear)
	}
	if got := rf.Metrics["diagnostics"].(map[string]any)["search_intensity"]; got != 12.0 {
		t.Fatalf("search_intensity %v", got)
	}
	if got := rf.Metrics["sample"].(map[string]any)["n_trades_total"]; got != 40.0 {
		t.Fatalf("numbers must decode to float64, got %T", got)
	}
	// An empty series still counts as a series (§4.1): the n = 0 column.
	rf, err = DecodeRunFile([]byte(`{"returns":[]}`))
	if err != nil || !rf.HasReturns || len(rf.Returns) != 0 {
		t.Fatalf("empty series: %+v, %v", rf, err)
	}
	// series.equity is turned into differences.
	rf, err = DecodeRunFile([]byte(`{"series":{"equity":[100,101,99.5]}}`))
	if err != nil || len(rf.Returns) != 2 || rf.Returns[0] != 1 || rf.Returns[1] != -1.5 {
		t.Fatalf("equity series: %v, %v", rf.Returns, err)
	}
}

// FuzzDecodeRunFile: the decoder never panics, and an accepted file always
// has metrics or returns and only finite returns.
func FuzzDecodeRunFile(f *testing.F) {
	for _, s := range []string{`{"returns":[0.1,null]}`, `{"metrics":{"sharpe":1}}`, `{"series":{"pnl":[1,2]}}`,
		`{"returns":[1],"params":{"periods_per_year":12}}`, `{"metrics":{"returns":{"sharpe":"x"}}}`, `nul`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rf, err := DecodeRunFile(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Path == "" || strings.TrimSpace(fe.Message) == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if rf.Metrics == nil && !rf.HasReturns {
			t.Fatal("accepted a file with neither metrics nor returns")
		}
		for _, x := range rf.Returns {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("non-finite return %v accepted", x)
			}
		}
	})
}
