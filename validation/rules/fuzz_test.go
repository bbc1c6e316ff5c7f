package rules

import (
	"encoding/json"
	"testing"

	"github.com/worldval/worldval/validation/policy"
)

// FuzzEvaluate checks that any accepted policy evaluates any JSON metrics
// document without panicking, with the five core rules first, a summary
// consistent with the results, and an encodable outcome.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(`{"validation_profiles": {"p": {"sample": {"min_trades_total": 3}}}, "top_k": {"metric": "sharpe", "k": 1}}`),
		[]byte(`{"returns": {"sharpe": 0.1}, "sample": {"n_trades_total": 5}}`), "backtest")
	f.Add([]byte("cohort: {top_k: 1}\nstress: {scenarios: {x: {dd_max: 0.1}}}\nlive_monitoring: {sharpe_min: 0}\nhysteresis: {metric: s, enter: 1, exit: 0}"),
		[]byte(`{"stress": {"x": {"dd_max": -0.3}}, "s": 2}`), "live")
	f.Add([]byte("paper_shadow_consistency: {min_sharpe_ratio: 1}\nvalidation: {on_missing_metric: warn}\nthresholds: {a: {metric: lag}}"),
		[]byte(`{}`), "paper")
	f.Fuzz(func(t *testing.T, pb, mb []byte, stage string) {
		p, err := policy.Parse(pb)
		if err != nil {
			return
		}
		var doc map[string]any
		if json.Unmarshal(mb, &doc) != nil {
			return
		}
		out := Evaluate(p, Input{StrategyID: "s", Stage: stage, Metrics: doc, Previous: []string{"s"}})
		rs := out.Validation.Results
		if len(rs) < 5 || rs[0].Name != DataCurrency || rs[4].Name != Robustness {
			t.Fatalf("results %v", names(rs))
		}
		if out.Summary.Status != SummaryStatus(rs, out.Summary.Active) {
			t.Fatalf("summary inconsistent")
		}
		if out.Validation.RulesetHash != p.RulesetHash(stage, false) {
			t.Fatalf("hash differs from the policy's")
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("marshal: %v", err)
		}
		checkResultsJSON(t, rs)
	})
}
