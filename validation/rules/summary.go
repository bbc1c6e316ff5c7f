package rules

import (
	"strings"
	"unicode/utf8"

	"github.com/worldval/worldval/validation/policy"
)

// SummaryStatus is the run's summary.status (validation-core §9.1): fail when
// a blocking rule fails, else warn when any rule warns or a soft or info rule
// fails, else pass. With no results at all it is pass for an active strategy
// and fail otherwise. A result without severity counts as blocking.
func SummaryStatus(results Results, active bool) Status {
	if len(results) == 0 {
		if active {
			return Pass
		}
		return Fail
	}
	blocking, problem := false, false
	for _, r := range results {
		// The spellings the rules write are checked first, and the severity
		// is read only for a fail: the case-insensitive comparisons are for
		// results from elsewhere (BenchmarkEvaluate's 9 results: 1.8k → 0.3k
		// instructions).
		switch st := string(r.Result.Status); {
		case st == string(Pass):
		case st == string(Warn):
			problem = true
		case equalFold(st, string(Fail)):
			if sev := string(r.Result.Severity); sev == "" || equalFold(sev, string(policy.Blocking)) {
				blocking = true
			} else {
				problem = true
			}
		case equalFold(st, string(Warn)):
			problem = true
		}
	}
	switch {
	case blocking:
		return Fail
	case problem:
		return Warn
	}
	return Pass
}

// equalFold compares case-insensitively, with fast paths for the exact
// (lower-case) spelling the engine itself produces and for an ASCII first
// byte that differs from lower's in both cases. lower starts with a
// lower-case ASCII letter (the callers pass constants); only a non-ASCII
// rune (the Kelvin sign, the long s) can fold to one besides its two cases.
func equalFold(s, lower string) bool {
	if s == lower {
		return true
	}
	if s != "" && lower != "" {
		if c, l := s[0], lower[0]; c < utf8.RuneSelf && 'a' <= l && l <= 'z' && c != l && c != l-('a'-'A') {
			return false
		}
	}
	return strings.EqualFold(s, lower)
}

// Recommended stages (validation-core §9.2).
const (
	StageBacktestOnly         = "backtest_only"
	StagePaperOnly            = "paper_only"
	StagePaperOKLiveCandidate = "paper_ok_live_candidate"
	defaultStoredStage        = "backtest"
)

// RecommendedStage maps the stage, else the chosen profile's name, to a
// recommended stage; "" when neither is recognised. It does not depend on the
// outcome of the rules: a failing backtest run still reads backtest_only.
func RecommendedStage(profile, stage string) string {
	// The normalized spellings, the usual ones, need no normalizing.
	if r, ok := recommendedFor(stage); ok {
		return r
	}
	if r, ok := recommendedFor(policy.NormStage(stage)); ok {
		return r
	}
	switch policy.NormStage(profile) {
	case "backtest":
		return StageBacktestOnly
	case "paper":
		return StagePaperOnly
	case "live":
		return StagePaperOKLiveCandidate
	}
	return ""
}

// recommendedFor maps a normalized stage, or a recommended stage itself, to
// the recommended stage; false for anything else.
func recommendedFor(stage string) (string, bool) {
	switch stage {
	case "backtest", StageBacktestOnly:
		return StageBacktestOnly, true
	case "paper", StagePaperOnly:
		return StagePaperOnly, true
	case "live", StagePaperOKLiveCandidate:
		return StagePaperOKLiveCandidate, true
	}
	return "", false
}

// recordedRecommendedStage is the value stored on the run: the evaluation's
// recommended stage, else the one computed with the stored stage (the
// lower-cased request stage, default backtest).
func recordedRecommendedStage(profile, stage string) string {
	return recordedFrom(RecommendedStage(profile, stage), profile, stage)
}

// recordedFrom is recordedRecommendedStage given rs, the evaluation's
// RecommendedStage(profile, stage).
func recordedFrom(rs, profile, stage string) string {
	if rs != "" {
		return rs
	}
	stored := strings.ToLower(stage)
	if stored == "" {
		stored = defaultStoredStage
	}
	return RecommendedStage(profile, stored)
}
