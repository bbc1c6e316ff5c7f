package rules

import (
	"github.com/worldval/worldval/validation/policy"
)

func (e *engine) specRiskConstraint() spec {
	meta := e.m.Profile.RiskMeta()
	return spec{RiskConstraint, meta.SeverityOr(policy.Blocking), meta.OwnerOr(policy.Risk), tagsRisk}
}

// riskConstraint reports the correlation and hysteresis constraints of the
// selection (validation-core §7.7.4). The profile's risk thresholds are not
// checked here (they are Performance's). With neither constraint configured
// it passes with severity info.
func (e *engine) riskConstraint(i int) RuleResult {
	s := e.specRiskConstraint()
	r := RuleResult{Severity: s.severity, Owner: s.owner, Tags: s.tags, Details: Details{}}
	cr, h := e.m.Correlation, e.m.Hysteresis
	switch {
	case cr != nil && e.st[i].blockedBy != nil:
		r.Status, r.ReasonCode = Fail, "correlation_constraint_failed"
		r.Reason = "Correlation exceeds max " + pyFloat(cr.Max)
		r.Details = e.arena.of(Detail{"blocked_by", e.st[i].blockedBy})
	case h != nil && e.st[i].hys != "":
		mode := e.st[i].hys
		r.Status = Fail
		if mode == hysExit {
			r.ReasonCode = "hysteresis_exit"
			r.Reason = h.Metric + " below exit " + pyFloat(h.Exit) + " for previously active strategy"
		} else {
			r.ReasonCode = "hysteresis_not_entered"
			r.Reason = h.Metric + " below enter " + pyFloat(h.Enter)
		}
		v, ok := e.cands[i].flat.Lookup(h.Metric)
		r.Details = e.arena.of(
			Detail{"metric", h.Metric},
			Detail{"previously_active", e.previouslyActive(e.cands[i].id)},
			Detail{"mode", mode},
			Detail{"value", optional(v, ok)},
		)
	case cr == nil && h == nil:
		r.Status, r.Severity, r.ReasonCode, r.Reason = Pass, policy.Info, "risk_constraints_not_configured", "No risk constraints configured"
	default:
		r.Status, r.ReasonCode, r.Reason = Pass, "risk_constraints_ok", "Risk constraints satisfied"
	}
	return r
}
