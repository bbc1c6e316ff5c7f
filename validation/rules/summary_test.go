package rules

import (
	"strings"
	"testing"

	"github.com/worldval/worldval/validation/policy"
)

func rr(status Status, sev policy.Severity) NamedResult {
	return NamedResult{Name: "r", Result: RuleResult{Status: status, Severity: sev}}
}

func TestSummaryStatus(t *testing.T) {
	cases := []struct {
		name    string
		results Results
		active  bool
		want    Status
	}{
		{"empty active", nil, true, Pass},
		{"empty inactive", Results{}, false, Fail},
		{"all pass", Results{rr(Pass, policy.Blocking), rr(Pass, policy.Info)}, false, Pass},
		{"blocking fail", Results{rr(Pass, policy.Soft), rr(Fail, policy.Blocking)}, true, Fail},
		{"blocking fail beats warn", Results{rr(Warn, policy.Soft), rr(Fail, policy.Blocking)}, true, Fail},
		{"missing severity is blocking", Results{rr(Fail, "")}, true, Fail},
		{"severity case-insensitive", Results{rr("FAIL", "Blocking")}, true, Fail},
		{"soft fail", Results{rr(Fail, policy.Soft), rr(Pass, policy.Blocking)}, true, Warn},
		{"info fail", Results{rr(Fail, policy.Info)}, true, Warn},
		{"warn any severity", Results{rr(Warn, policy.Blocking)}, true, Warn},
		{"warn info", Results{rr(Warn, policy.Info)}, true, Warn},
		{"unknown status ignored", Results{rr("skipped", policy.Blocking)}, false, Pass},
	}
	for _, c := range cases {
		if got := SummaryStatus(c.results, c.active); got != c.want {
			t.Errorf("%s: got %s want %s", c.name, got, c.want)
		}
	}
}

func TestRecommendedStage(t *testing.T) {
	cases := []struct{ profile, stage, want string }{
		{"", "backtest", StageBacktestOnly},
		{"live", " Backtest-Only ", StageBacktestOnly},
		{"", "paper", StagePaperOnly},
		{"", "paper_only", StagePaperOnly},
		{"backtest", "live", StagePaperOKLiveCandidate},
		{"", "paper-ok-live-candidate", StagePaperOKLiveCandidate},
		{"backtest", "shadow", StageBacktestOnly},
		{"Paper", "", StagePaperOnly},
		{"LIVE", "dryrun", StagePaperOKLiveCandidate},
		{"custom", "shadow", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		if got := RecommendedStage(c.profile, c.stage); got != c.want {
			t.Errorf("RecommendedStage(%q, %q) = %q, want %q", c.profile, c.stage, got, c.want)
		}
	}
	// At recording, a null recommendation is recomputed with the stored stage
	// (default backtest).
	for _, c := range []struct{ profile, stage, want string }{
		{"custom", "", StageBacktestOnly},
		{"custom", "shadow", ""},
		{"paper", "", StagePaperOnly},
		{"", "Shadow", ""},
	} {
		if got := recordedRecommendedStage(c.profile, c.stage); got != c.want {
			t.Errorf("recorded(%q, %q) = %q, want %q", c.profile, c.stage, got, c.want)
		}
	}
}

// The recommended stage ignores the outcome: a failing backtest run still
// reads backtest_only, a failing paper run paper_only.
func TestRecommendedStageIgnoresOutcome(t *testing.T) {
	p := pol(t, "thresholds: {x: {metric: sharpe, min: 10}}")
	for stage, want := range map[string]string{"backtest": StageBacktestOnly, "paper": StagePaperOnly, "live": StagePaperOKLiveCandidate, "": StageBacktestOnly, "shadow": ""} {
		out := Evaluate(p, Input{StrategyID: "s", Stage: stage, Metrics: good()})
		if out.Summary.Status != Fail || out.Summary.RecommendedStage != want {
			t.Errorf("stage %q: %+v want %q", stage, out.Summary, want)
		}
	}
}

// TestEqualFoldIsStringsEqualFold: the fast paths of equalFold answer as
// strings.EqualFold does, including for non-ASCII runes that fold to ASCII
// letters (the Kelvin sign K, the long s ſ).
func TestEqualFoldIsStringsEqualFold(t *testing.T) {
	lowers := []string{"fail", "warn", "blocking", "rule_error", "s", "k"}
	inputs := []string{
		"", "f", "fail", "FAIL", "Fail", "fAiL", "fail ", "pass", "warn", "WARN", "blocking", "BLOCKING", "soft", "info",
		"rule_error", "RULE_ERROR", "rule-error", "\u212a", "\u212aill", "\u017f", "\u017foft", "ßail", "éail", "@ail", "`ail",
		"Fail\u212a", "k", "K", "s", "S", "\x00", "\xff", "\xe2\x84", "x",
	}
	for _, l := range lowers {
		for _, s := range inputs {
			if got, want := equalFold(s, l), strings.EqualFold(s, l); got != want {
				t.Errorf("equalFold(%q, %q) = %v, want %v", s, l, got, want)
			}
		}
	}
}
