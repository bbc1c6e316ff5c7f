package rules

import (
	"strconv"
	"strings"

	"github.com/worldval/worldval/validation/policy"
)

func (e *engine) specPerformance() spec {
	meta := e.m.Profile.PerformanceMeta()
	return spec{Performance, meta.SeverityOr(policy.Blocking), meta.OwnerOr(policy.Quant), tagsPerformance}
}

// performance reports the strategy's threshold violations over all
// thresholds and its top-k rank (validation-core §7.7.3): any blocking
// violation fails; a missing metric under mode warn warns; a rank outside
// top_k fails; otherwise it passes.
func (e *engine) performance(i int) RuleResult {
	s := e.specPerformance()
	r := RuleResult{Severity: s.severity, Owner: s.owner, Tags: s.tags}
	vs := e.st[i].viol
	var blocking, missing []Violation
	for _, v := range vs {
		if v.Blocking {
			blocking = append(blocking, v)
		}
		if v.Reason == violationMissing {
			missing = append(missing, v)
		}
	}
	var k any
	if e.m.TopK != nil {
		k = e.m.TopK.K
	}
	switch {
	case len(blocking) > 0:
		r.Status, r.ReasonCode = Fail, "performance_thresholds_failed"
		r.Reason = violationReason(blocking[0])
		r.Details = e.arena.of(Detail{"violations", blocking})
	case len(missing) > 0:
		names := make([]string, len(missing))
		for j, v := range missing {
			names[j] = v.Metric
		}
		r.Status, r.ReasonCode = Warn, "performance_metrics_missing"
		if e.mode == policy.ModeFail {
			r.Status = Fail
		}
		r.Reason = "Missing metrics: " + strings.Join(names, ", ")
		r.Details = e.arena.of(Detail{"violations", vs}, Detail{"policy_on_missing_metric", modeValue(e.mode)})
	case e.m.TopK != nil && !e.st[i].topkKept:
		r.Status, r.ReasonCode = Fail, "performance_rank_outside_top_k"
		r.Tags = tagsPerformanceTop
		kk := strconv.Itoa(e.m.TopK.K)
		if e.st[i].rank >= 0 {
			r.Reason = "Rank " + strconv.Itoa(e.st[i].rank+1) + " outside top_k=" + kk
		} else {
			r.Reason = "Not selected by top_k=" + kk
		}
		r.Details = e.arena.of(Detail{"rank", e.rankValue(i)}, Detail{"top_k", k})
	default:
		r.Status, r.ReasonCode, r.Reason = Pass, "performance_ok", "Passed thresholds and ranking"
		r.Details = e.arena.of(Detail{"rank", e.rankValue(i)}, Detail{"top_k", k})
	}
	return r
}

func (e *engine) rankValue(i int) any {
	if e.st[i].rank < 0 {
		return nil
	}
	return e.st[i].rank
}

// violationReason renders a violation as QMTL's Performance rule does.
func violationReason(v Violation) string {
	switch v.Reason {
	case violationBelowMin:
		return v.Metric + " below minimum " + pyFloat(*v.Min)
	case violationAboveMax:
		return v.Metric + " above maximum " + pyFloat(*v.Max)
	case violationMissing:
		return v.Metric + " missing"
	}
	return v.Metric + " failed"
}
