package policy

import (
	"encoding/json"
	"testing"
)

var fuzzStages = []string{"", "backtest", "paper", "live", "shadow", "paper_only", "paper_ok_live_candidate", "x"}

// FuzzParse checks that Parse never panics, and that every accepted policy
// survives a round trip through its normalized JSON with the same profile
// choices, ruleset hashes and snapshots.
func FuzzParse(f *testing.F) {
	f.Add(fixture(f))
	f.Add([]byte(annotatedAsJSON))
	f.Add([]byte(`{"policy": {"thresholds": {"a": {"metric": "x", "min": 1}}}, "preset": "p"}`))
	f.Add([]byte("validation_profiles: {p: {sample: {min_trades_total: 3}}}\ncohort: {top_k: 2}\n"))
	f.Add([]byte("cohort: {top_k: 1, top_k_metric: deflated_sharpe_ratio, extreme_sharpe_max: 4}\nportfolio: {default_correlation: -0.5, z_99: 2.3263, es_factor: 1}\nlive_monitoring: {es_max: 0}\n"))
	f.Add([]byte("a: &a {b: 1}\nc: {<<: *a}\n"))
	f.Add([]byte("thresholds: {a: {metric: x, min: 0777}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if p != nil {
				t.Fatalf("policy returned with error %v", err)
			}
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		for _, st := range fuzzStages {
			for _, fc := range []bool{false, true} {
				a, b := p.Materialize(st, fc), q.Materialize(st, fc)
				if a.ProfileName != b.ProfileName || a.RulesetHash() != b.RulesetHash() {
					t.Fatalf("stage %q: %q %s vs %q %s\n%s\n%s", st, a.ProfileName, a.Snapshot(), b.ProfileName, b.Snapshot(), data, out)
				}
			}
		}
		again, _ := Parse(data)
		if again.Materialize("", false).RulesetHash() != p.Materialize("", false).RulesetHash() {
			t.Fatalf("non-deterministic hash")
		}
	})
}
