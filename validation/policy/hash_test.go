package policy

import (
	"encoding/hex"
	"strings"
	"testing"

	"lukechampine.com/blake3"
)

// The expected document was written by hand from validation-core §9.5 and the
// annotated example (§6.9): backtest profile chosen, selection merged, profile
// thresholds materialized, null fields omitted, members sorted per RFC 8785.
const annotatedBacktestSnapshot = `{"benchmark":{"min_vs_benchmark_sharpe":0},` +
	`"correlation":{"max":0.8},` +
	`"hysteresis":{"enter":0.06,"exit":0.04,"metric":"sharpe"},` +
	`"live_monitoring":{"dd_max":0.3,"decay_threshold":0.5,"sharpe_min":0},` +
	`"paper_shadow_consistency":{"max_drawdown_ratio":1.5,"min_sharpe_ratio":0.7},` +
	`"profile":"backtest",` +
	`"profile_config":{` +
	`"performance":{"gain_to_pain_min":1,"max_dd_max":0.25,"owner":"quant","severity":"blocking","sharpe_min":0.08},` +
	`"risk":{"adv_utilization_p95_max":0.5,"owner":"risk","participation_rate_p95_max":0.4,"severity":"blocking"},` +
	`"robustness":{"cv_sharpe_gap_max":0.6,"dsr_min":0.15,"severity":"soft"},` +
	`"sample":{"min_effective_years":2,"min_trades_total":50}},` +
	`"stress":{"scenarios":{"crash_2020":{"dd_max":0.3,"es_99":0.25}}},` +
	`"thresholds":{` +
	`"adv_utilization_p95":{"max":0.5,"metric":"adv_utilization_p95"},` +
	`"deflated_sharpe_ratio":{"metric":"deflated_sharpe_ratio","min":0.15},` +
	`"effective_history_years":{"metric":"effective_history_years","min":2},` +
	`"gain_to_pain_ratio":{"metric":"gain_to_pain_ratio","min":1},` +
	`"lag":{"max":300,"metric":"lag_seconds"},` +
	`"max_drawdown":{"max":0.25,"metric":"max_drawdown"},` +
	`"n_trades_total":{"metric":"n_trades_total","min":50},` +
	`"participation_rate_p95":{"max":0.4,"metric":"participation_rate_p95"},` +
	`"sharpe":{"metric":"sharpe","min":0.08}},` +
	`"top_k":{"k":3,"metric":"sharpe"},` +
	`"validation":{"on_error":"fail","on_missing_metric":"fail"}}`

func TestRulesetSnapshotAnnotatedExample(t *testing.T) {
	p, err := Parse(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	m := p.Materialize("backtest", false)
	if got := string(m.Snapshot()); got != annotatedBacktestSnapshot {
		t.Errorf("snapshot\n got %s\nwant %s", got, annotatedBacktestSnapshot)
	}
	sum := blake3.Sum256([]byte(annotatedBacktestSnapshot))
	if want := "blake3:" + hex.EncodeToString(sum[:]); m.RulesetHash() != want {
		t.Errorf("hash %s want %s", m.RulesetHash(), want)
	}
	h := m.RulesetHash()
	if !strings.HasPrefix(h, "blake3:") || len(h) != 7+64 || strings.ToLower(h) != h {
		t.Errorf("format %q", h)
	}
}

// The same policy written as JSON, with every mapping in a different order,
// comments gone and metadata changed.
const annotatedAsJSON = `{
 "description": "same rules, other order",
 "live_monitoring": {"decay_threshold": 0.5, "dd_max": 0.3, "sharpe_min": 0.0},
 "stress": {"scenarios": {"crash_2020": {"es_99": 0.25, "dd_max": 0.30}}},
 "benchmark": {"min_vs_benchmark_sharpe": 0},
 "paper_shadow_consistency": {"max_drawdown_ratio": 1.5, "min_sharpe_ratio": 0.7},
 "selection": {
   "hysteresis": {"exit": 0.04, "enter": 0.06, "metric": "sharpe"},
   "correlation": {"max": 0.8},
   "top_k": {"k": 3, "metric": "sharpe"},
   "thresholds": {"lag": {"max": 300.0, "metric": "lag_seconds"}}
 },
 "validation": {"on_missing_metric": "fail", "on_error": "fail"},
 "default_profile_by_stage": {"paper_ok_live_candidate": "live", "paper_only": "paper", "backtest_only": "backtest"},
 "validation_profiles": {
   "live": {"robustness": {"severity": "blocking", "dsr_min": 0.3}, "performance": {"gain_to_pain_min": 1.5, "max_dd_max": 0.2, "sharpe_min": 0.12}},
   "paper": {"robustness": {"owner": "risk", "severity": "blocking", "dsr_min": 0.25}, "performance": {"gain_to_pain_min": 1.2, "max_dd_max": 0.2, "sharpe_min": 0.1}, "sample": {"min_effective_years": 3}},
   "backtest": {
     "risk": {"owner": "RISK", "severity": "Blocking", "participation_rate_p95_max": 0.4, "adv_utilization_p95_max": 0.5},
     "robustness": {"severity": "soft", "cv_sharpe_gap_max": 0.6, "dsr_min": 0.15},
     "performance": {"owner": "quant", "severity": "blocking", "gain_to_pain_min": 1, "max_dd_max": 0.25, "sharpe_min": 0.08},
     "sample": {"min_trades_total": 50.0, "min_effective_years": 2}
   }
 },
 "version": 99
}`

func TestRulesetHashIndependentOfFormatAndOrder(t *testing.T) {
	y, err := Parse(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	j := mustParse(t, annotatedAsJSON)
	for _, stage := range []string{"backtest", "paper", "paper_ok_live_candidate", "paper_only"} {
		a, b := y.Materialize(stage, false), j.Materialize(stage, false)
		if a.ProfileName != b.ProfileName || a.RulesetHash() != b.RulesetHash() {
			t.Errorf("%s: yaml %s %s, json %s %s", stage, a.ProfileName, a.RulesetHash(), b.ProfileName, b.RulesetHash())
		}
	}
}

func TestRulesetHashSensitivity(t *testing.T) {
	base := string(fixture(t))
	baseHash := mustParse(t, base).Materialize("backtest", false).RulesetHash()
	edit := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	changes := map[string]string{
		"threshold bound":       edit("max: 300", "max: 301"),
		"threshold metric":      edit("metric: lag_seconds", "metric: lag_ms"),
		"top_k k":               edit("k: 3}", "k: 4}"),
		"correlation":           edit("max: 0.8}", "max: 0.7}"),
		"hysteresis":            edit("exit: 0.04}", "exit: 0.05}"),
		"on_missing_metric":     edit("on_missing_metric: fail", "on_missing_metric: warn"),
		"on_error":              edit("on_error: fail ", "on_error: warn "),
		"profile sharpe_min":    edit("sharpe_min: 0.08", "sharpe_min: 0.09"),
		"profile severity":      edit("severity: soft                # default", "severity: info"),
		"profile owner":         edit("owner: quant                  # default", "owner: ops"),
		"cv_sharpe_gap_max":     edit("cv_sharpe_gap_max: 0.6", "cv_sharpe_gap_max: 0.7"),
		"min_trades_total":      edit("min_trades_total: 50", "min_trades_total: 51"),
		"benchmark":             edit("min_vs_benchmark_sharpe: 0.0", "min_vs_benchmark_sharpe: 0.1"),
		"benchmark severity":    edit("min_vs_benchmark_sharpe: 0.0", "min_vs_benchmark_sharpe: 0.0\n  severity: blocking"),
		"paper_shadow":          edit("min_sharpe_ratio: 0.7", "min_sharpe_ratio: 0.8"),
		"paper_shadow stages":   edit("max_drawdown_ratio: 1.5", "max_drawdown_ratio: 1.5\n  stages: [paper]"),
		"stress":                edit("es_99: 0.25}", "es_99: 0.26}"),
		"stress scenario added": edit("crash_2020: {dd_max: 0.3, es_99: 0.25}", "crash_2020: {dd_max: 0.3, es_99: 0.25}\n    gfc: {var_99: 0.1}"),
		"live_monitoring":       edit("decay_threshold: 0.5", "decay_threshold: 0.6"),
		"live lookback":         edit("decay_threshold: 0.5", "decay_threshold: 0.5\n  lookback_days: 30"),
		"cohort added":          base + "\ncohort: {top_k: 2}\n",
		"portfolio added":       base + "\nportfolio: {max_incremental_var_99: 0.1}\n",
	}
	seen := map[string]string{baseHash: "base"}
	for name, doc := range changes {
		h := mustParse(t, doc).Materialize("backtest", false).RulesetHash()
		if prev, dup := seen[h]; dup {
			t.Errorf("%s: hash equals %s's", name, prev)
		}
		seen[h] = name
	}
	same := map[string]string{
		"version metadata":   edit("version: 7", "version: 8"),
		"comments":           edit("# metadata only", "# another comment"),
		"unchosen profile":   edit("sharpe_min: 0.12", "sharpe_min: 0.5"),
		"governance":         base + "\ngovernance: {live_promotion: {mode: auto_apply}}\n",
		"stage mapping only": edit("paper_ok_live_candidate: live", "paper_ok_live_candidate: paper"),
	}
	for name, doc := range same {
		if h := mustParse(t, doc).Materialize("backtest", false).RulesetHash(); h != baseHash {
			t.Errorf("%s: hash changed", name)
		}
	}
	// Fail-closed enforcement changes the hash only when the policy was lenient.
	p := mustParse(t, base)
	if p.Materialize("backtest", true).RulesetHash() != baseHash {
		t.Errorf("fail-closed on a fail-closed policy changed the hash")
	}
	lenient := mustParse(t, changes["on_missing_metric"])
	if lenient.Materialize("backtest", true).RulesetHash() != baseHash {
		t.Errorf("forced lenient policy should hash like the fail-closed one")
	}
	// The chosen profile changes the hash.
	if p.Materialize("paper", false).RulesetHash() == baseHash {
		t.Errorf("paper hashed like backtest")
	}
}

func TestRulesetHashWithoutProfilesAndUncached(t *testing.T) {
	p := mustParse(t, "thresholds: {a: {metric: x, min: 1}}")
	m := p.Materialize("live", false)
	want := `{"thresholds":{"a":{"metric":"x","min":1}},"validation":{"on_error":"fail","on_missing_metric":"fail"}}`
	if string(m.Snapshot()) != want {
		t.Errorf("snapshot %s", m.Snapshot())
	}
	hand := *p
	hand.cache = nil
	if hm := hand.Materialize("live", false); hm.RulesetHash() != m.RulesetHash() {
		t.Errorf("uncached hash differs")
	}
	var zero Materialized
	if !strings.HasPrefix(zero.RulesetHash(), HashPrefix) || len(zero.Snapshot()) == 0 {
		t.Errorf("zero materialization hash %q", zero.RulesetHash())
	}
	empty := mustParse(t, "stress: {scenarios: {}}\npaper_shadow_consistency: {stages: []}\nvalidation_profiles: {p: {sample: {}}}")
	want = `{"paper_shadow_consistency":{"stages":[]},"profile":"p","profile_config":{"sample":{}},"stress":{"scenarios":{}},"thresholds":{},"validation":{"on_error":"fail","on_missing_metric":"fail"}}`
	if got := empty.Materialize("", false); string(got.Snapshot()) != want {
		t.Errorf("empty blocks %s", got.Snapshot())
	}
}

func TestPolicyRulesetHashShorthand(t *testing.T) {
	p := mustParse(t, string(fixture(t)))
	if p.RulesetHash("paper", true) != p.Materialize("paper", true).RulesetHash() {
		t.Errorf("shorthand differs")
	}
}

func TestMaterializeCacheMatchesUncached(t *testing.T) {
	for _, doc := range []string{string(fixture(t)), "{}", "validation_profiles: {Live: {}, z: {}}\ndefault_profile_by_stage: {shadow: z}"} {
		p := mustParse(t, doc)
		hand := *p
		hand.cache = nil
		for _, s := range append(commonStages[:], "Paper", " live", "other") {
			for _, fc := range []bool{false, true} {
				a, b := p.Materialize(s, fc), hand.Materialize(s, fc)
				if a.ProfileName != b.ProfileName || a.RulesetHash() != b.RulesetHash() || a.Validation != b.Validation {
					t.Errorf("%q/%v: cached %s %s, uncached %s %s", s, fc, a.ProfileName, a.RulesetHash(), b.ProfileName, b.RulesetHash())
				}
			}
		}
	}
}
