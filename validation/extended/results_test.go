package extended

import (
	"encoding/json"
	"testing"

	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

func TestAggregateD7(t *testing.T) {
	// Check order: the median Sharpe is missing (warn), then the strategy
	// is outside the top k (fail). D7: the fail leads.
	r := Aggregate(rules.RuleResult{Status: rules.Fail, ReasonCode: "median_sharpe_missing", Reason: "median_sharpe_missing, cohort_top_k_exceeded"})
	if r.ReasonCode != "cohort_top_k_exceeded" || r.Reason != "cohort_top_k_exceeded, median_sharpe_missing" {
		t.Errorf("D7 order: %q / %q", r.ReasonCode, r.Reason)
	}
	r = Aggregate(rules.RuleResult{Status: rules.Fail, ReasonCode: "crash_dd_missing", Reason: "crash_dd_missing, crash_es_exceeds_max, rates_var_missing, rates_dd_exceeds_max"})
	if r.Reason != "crash_es_exceeds_max, rates_dd_exceeds_max, crash_dd_missing, rates_var_missing" {
		t.Errorf("stress order: %q", r.Reason)
	}
	pass := rules.RuleResult{Status: rules.Pass, ReasonCode: "cohort_ok", Reason: "Cohort criteria satisfied"}
	if Aggregate(pass).Reason != pass.Reason {
		t.Error("a pass was rewritten")
	}
}

func TestExtraChecks(t *testing.T) {
	base := rules.RuleResult{Status: rules.Pass, ReasonCode: "cohort_ok", Reason: "Cohort criteria satisfied", Details: rules.Details{{Key: "top_k", Value: 2}}}
	r := WithExtremeSharpe(base, 4, []string{"s9"})
	if r.Status != rules.Warn || r.ReasonCode != ReasonExtremeSharpe || len(base.Details) != 1 {
		t.Errorf("extreme Sharpe: %+v (base details %v)", r, base.Details)
	}
	failing := rules.RuleResult{Status: rules.Fail, ReasonCode: "cohort_top_k_exceeded", Reason: "cohort_top_k_exceeded"}
	if r := WithExtremeSharpe(failing, 4, []string{"s9"}); r.Status != rules.Fail || r.Reason != "cohort_top_k_exceeded, cohort_extreme_sharpe_detected" {
		t.Errorf("extreme Sharpe on a fail: %+v", r)
	}
	if r := WithExtremeSharpe(base, 4, nil); r.Status != rules.Pass {
		t.Errorf("no offender: %+v", r)
	}

	live := rules.RuleResult{Status: rules.Warn, ReasonCode: "live_decay_missing", Reason: "live_decay_missing"}
	r = WithLiveES(live, 0.02, 0.03, true)
	if r.Status != rules.Fail || r.ReasonCode != ReasonLiveESExceeds || r.Reason != "live_es_exceeds_max, live_decay_missing" {
		t.Errorf("live ES above the limit: %+v", r)
	}
	if v, _ := r.Details.Get("es_max"); v != 0.02 {
		t.Errorf("es_max detail %v", v)
	}
	if r := WithLiveES(rules.RuleResult{Status: rules.Pass}, 0.02, 0, false); r.Status != rules.Warn || r.ReasonCode != ReasonLiveESMissing {
		t.Errorf("live ES missing: %+v", r)
	}
	if r := WithLiveES(rules.RuleResult{Status: rules.Pass}, 0.02, 0.02, true); r.Status != rules.Pass {
		t.Errorf("a limit exactly met passes: %+v", r)
	}

	p := WithoutQMTLPortfolioKeys(rules.RuleResult{Details: rules.Details{{Key: "max_incremental_var_99", Value: 1.0}, {Key: "incremental_var_99", Value: 1.0}, {Key: "max_incremental_es_99", Value: 2.0}}})
	if len(p.Details) != 1 || p.Details[0].Key != "incremental_var_99" {
		t.Errorf("D26 details %v", p.Details)
	}
}

func TestSummarize(t *testing.T) {
	rs := rules.Results{
		{Name: rules.Performance, Result: rules.RuleResult{Status: rules.Fail, Severity: policy.Blocking}},
		{Name: rules.Portfolio, Result: rules.RuleResult{Status: rules.Warn, Severity: policy.Blocking}},
		{Name: rules.Stress, Result: rules.RuleResult{Status: rules.Fail, Severity: policy.Info}},
		{Name: rules.Cohort, Result: rules.RuleResult{Status: rules.Pass, Severity: policy.Blocking}},
	}
	b, err := json.Marshal(Summarize(rs))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"status":"warn","blocking":{"portfolio":"warn","cohort":"pass"}}` {
		t.Errorf("summary %s", b)
	}
	rs[2].Result.Severity = policy.Blocking
	if s := Summarize(rs); s.Status != rules.Fail {
		t.Errorf("blocking stress fail: %v", s.Status)
	}
	if s := Summarize(nil); s.Status != rules.Pass || len(s.Blocking) != 0 {
		t.Errorf("no results: %+v", s)
	}
}

// TestTopKByDSR: members with DSR 0.2, none, 0.9, 0.5 and k = 2 select the
// third and the fourth; the first fails the top-k check, keeping its other
// reasons; a member selected now loses its earlier top-k failure.
func TestTopKByDSR(t *testing.T) {
	sel := TopK([]float64{0.2, 0, 0.9, 0.5}, []bool{true, false, true, true}, 2)
	if len(sel) != 4 || sel[0] || sel[1] || !sel[2] || !sel[3] {
		t.Fatalf("selection %v", sel)
	}
	if TopK([]float64{1}, []bool{false}, 2) != nil || TopK([]float64{1}, []bool{true}, 0) != nil {
		t.Error("a selection without values or without k")
	}
	no, yes := false, true
	failing := rules.RuleResult{Status: rules.Fail, ReasonCode: "cohort_median_sharpe_below_min", Reason: "cohort_median_sharpe_below_min"}
	r := WithTopK(failing, "deflated_sharpe_ratio", &no)
	if r.Status != rules.Fail || r.Reason != "cohort_median_sharpe_below_min, cohort_top_k_exceeded" {
		t.Errorf("not selected: %+v", r)
	}
	was := rules.RuleResult{Status: rules.Fail, ReasonCode: "cohort_top_k_exceeded", Reason: "cohort_top_k_exceeded"}
	r = WithTopK(was, "deflated_sharpe_ratio", &yes)
	if r.Status != rules.Pass || r.ReasonCode != "cohort_ok" {
		t.Errorf("selected now: %+v", r)
	}
	if v, _ := r.Details.Get("top_k_metric"); v != "deflated_sharpe_ratio" {
		t.Errorf("details %v", r.Details)
	}
	if r := WithTopK(rules.RuleResult{Status: rules.Pass, ReasonCode: "cohort_ok"}, "deflated_sharpe_ratio", nil); r.Status != rules.Warn || r.ReasonCode != "top_k_unavailable" {
		t.Errorf("unavailable: %+v", r)
	}
}
