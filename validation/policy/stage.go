package policy

// Stages lists the stage values a run may be validated for (validation-core
// §2.3): the lifecycle stages and the recommended-stage spellings, which are
// accepted for profile selection. Compare with [NormStage] applied first.
func Stages() []string {
	return []string{"backtest", "paper", "live", "shadow", "dryrun", "backtest_only", "paper_only", "paper_ok_live_candidate"}
}

// KnownStage reports whether s names one of [Stages] after normalization
// (trimmed, lower-cased, '-' read as '_'). The service refuses other stages
// at submission: the reference accepts any string, but a misspelt stage
// silently falls through to another profile (§7.2), which is the kind of
// quiet failure a validation record must not have.
func KnownStage(s string) bool {
	switch NormStage(s) {
	case "backtest", "paper", "live", "shadow", "dryrun", "backtest_only", "paper_only", "paper_ok_live_candidate":
		return true
	}
	return false
}
