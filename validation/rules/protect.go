package rules

import (
	"fmt"

	"github.com/worldval/worldval/validation/policy"
)

// Tag lists of the rules. They are shared by every result and must not be
// modified (RuleResult.Tags documents this).
var (
	tagsDataCurrency   = []string{"data_currency"}
	tagsSample         = []string{"sample"}
	tagsPerformance    = []string{"performance", "thresholds"}
	tagsPerformanceTop = []string{"performance", "thresholds", "top_k"}
	tagsRisk           = []string{"risk"}
	tagsRobustness     = []string{"robustness"}
	tagsCohort         = []string{"cohort"}
	tagsPortfolio      = []string{"portfolio"}
	tagsBenchmark      = []string{"benchmark"}
	tagsStress         = []string{"stress"}
	tagsPaperShadow    = []string{"paper_shadow"}
	tagsLiveMonitoring = []string{"live_monitoring"}
)

// spec is a rule's identity and configured metadata, which a rule_error
// result keeps.
type spec struct {
	name     string
	severity policy.Severity
	owner    policy.Owner
	tags     []string
}

// protect runs a rule and converts a panic into a rule_error result
// (validation-core §7.9); evaluation then continues with the next rule.
func (e *engine) protect(s spec, rule func() RuleResult) (r RuleResult) {
	defer func() {
		if x := recover(); x != nil {
			err, ok := x.(error)
			if !ok {
				err = fmt.Errorf("%v", x)
			}
			r = RuleError(e.m.Validation.OnError, s.severity, s.owner, s.tags, err)
		}
	}()
	if e.fault == s.name {
		panic(fmt.Errorf("injected fault in %s", s.name))
	}
	return rule()
}

// RuleError is the result of a rule whose evaluation failed with err: status
// fail when onError is "fail" (or empty), warn when it is "warn"; the rule's
// configured severity, owner and tags; reason_code rule_error.
func RuleError(onError string, severity policy.Severity, owner policy.Owner, tags []string, err error) RuleResult {
	status := Fail
	if onError == policy.ModeWarn {
		status = Warn
	}
	return RuleResult{
		Status:     status,
		Severity:   severity,
		Owner:      owner,
		ReasonCode: ReasonRuleError,
		Reason:     err.Error(),
		Tags:       append([]string(nil), tags...),
		Details:    Details{{"error", err.Error()}},
	}
}
