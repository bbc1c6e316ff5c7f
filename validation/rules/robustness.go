package rules

import (
	"math"
	"strings"

	"github.com/worldval/worldval/validation/policy"
)

func (e *engine) specRobustness() spec {
	meta := e.m.Profile.RobustnessMeta()
	return spec{Robustness, meta.SeverityOr(policy.Soft), meta.OwnerOr(policy.Quant), tagsRobustness}
}

// robustness checks the profile's dsr_min and cv_sharpe_gap_max
// (validation-core §7.7.5). A missing DSR warns whatever on_missing_metric
// says; a missing half-Sharpe skips the gap check silently. reason_code is
// the first reason, so "DSR missing + gap exceeded" fails with dsr_missing.
func (e *engine) robustness(i int) RuleResult {
	s := e.specRobustness()
	flat := e.cands[i].flat
	var dsrMin, gapMax *float64
	if rb := e.profileRobustness(); rb != nil {
		dsrMin, gapMax = rb.DSRMin, rb.CVSharpeGapMax
	}
	dsr, hasDSR := flat.Lookup("deflated_sharpe_ratio")
	first, hasFirst := flat.Lookup("sharpe_first_half")
	second, hasSecond := flat.Lookup("sharpe_second_half")
	cvMean, hasCVMean := flat.Lookup("cv_sharpe_mean")
	cvStd, hasCVStd := flat.Lookup("cv_sharpe_std")
	details := e.arena.withRoom(3,
		Detail{"deflated_sharpe_ratio", optional(dsr, hasDSR)},
		Detail{"sharpe_first_half", optional(first, hasFirst)},
		Detail{"sharpe_second_half", optional(second, hasSecond)},
		Detail{"cv_sharpe_mean", optional(cvMean, hasCVMean)},
		Detail{"cv_sharpe_std", optional(cvStd, hasCVStd)},
	)
	status := Pass
	var reasons []string
	if dsrMin != nil {
		switch {
		case !hasDSR:
			status = worse(status, Warn)
			reasons = append(reasons, "dsr_missing")
		case dsr < *dsrMin:
			status = Fail
			reasons = append(reasons, "dsr_below_min")
			details.Set("dsr_min", *dsrMin)
		}
	}
	if gapMax != nil && hasFirst && hasSecond {
		gap := math.Abs(first - second)
		details.Set("sharpe_gap", gap)
		if gap > *gapMax {
			status = Fail
			reasons = append(reasons, "cv_sharpe_gap_exceeds_max")
			details.Set("cv_sharpe_gap_max", *gapMax)
		}
	}
	r := RuleResult{Status: status, Severity: s.severity, Owner: s.owner, Tags: s.tags, Details: details,
		ReasonCode: "robustness_ok", Reason: "Robustness checks passed"}
	if len(reasons) > 0 {
		r.ReasonCode = reasons[0]
		r.Reason = strings.Join(reasons, ", ")
	}
	return r
}

func (e *engine) profileRobustness() *policy.RobustnessSection {
	if e.m.Profile == nil {
		return nil
	}
	return e.m.Profile.Robustness
}
