package rules

import (
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

// extScope holds the cross-strategy statistics of the inline extended rules,
// computed once per evaluation.
type extScope struct {
	count int // number of extended results per strategy

	medianSharpe, medianDSR       float64
	hasMedianSharpe, hasMedianDSR bool
	cohortTop                     []bool // nil when there is no top-k set

	paperApplies bool
	hasLive      bool
	live         RuleResult
}

// extendedScope prepares the extended rules configured in the policy
// (validation-core §7.8).
func (e *engine) extendedScope() extScope {
	var x extScope
	m := e.m
	if m.Cohort != nil {
		x.count++
		e.cohortStats(&x)
	}
	if m.Portfolio != nil {
		x.count++
	}
	if m.Benchmark != nil {
		x.count++
	}
	if m.Stress != nil {
		x.count++
	}
	if ps := m.PaperShadowConsistency; ps != nil && paperShadowApplies(ps, e.stage) {
		x.paperApplies = true
		x.count++
	}
	if m.LiveMonitoring != nil {
		x.count++
	}
	return x
}

// liveMonitoringScope evaluates live monitoring, whose one result every
// candidate gets, when the policy configures it.
func (e *engine) liveMonitoringScope(x *extScope) {
	if e.m.LiveMonitoring != nil {
		x.live, x.hasLive = e.protect(e.specLiveMonitoring(), e.liveMonitoring), true
	}
}

// extended appends the inline extended results of candidate i, in result
// order.
func (e *engine) extended(i int, x *extScope, results Results) Results {
	m := e.m
	if m.Cohort != nil {
		results = appendResult(results, Cohort, e.protect(e.specCohort(), func() RuleResult { return e.cohort(i, x) }))
	}
	if m.Portfolio != nil {
		results = appendResult(results, Portfolio, e.protect(e.specPortfolio(), func() RuleResult { return e.portfolio(i) }))
	}
	if m.Benchmark != nil {
		results = appendResult(results, Benchmark, e.protect(e.specBenchmark(), func() RuleResult { return e.benchmark(i) }))
	}
	if m.Stress != nil {
		results = appendResult(results, Stress, e.protect(e.specStress(), func() RuleResult { return e.stress(i) }))
	}
	if x.paperApplies {
		results = appendResult(results, PaperShadowConsistency, e.protect(e.specPaperShadow(), func() RuleResult { return e.paperShadow(i) }))
	}
	if x.hasLive {
		live := x.live
		if i > 0 {
			live.Details = copyDetails(live.Details) // each strategy owns its details
		}
		results = appendResult(results, LiveMonitoring, live)
	}
	return results
}

func copyDetails(d Details) Details {
	return append(Details(nil), d...)
}

// checks accumulates the outcome of a multi-check extended rule: status is
// the worst check outcome (CD11), reason_code the first triggered reason,
// reason all triggered reasons in check order.
type checks struct {
	status Status
	list   reasonList
}

// reasonList collects reason codes without allocating for the first few.
type reasonList struct {
	first [4]string
	n     int
	more  []string
}

func (l *reasonList) add(r string) {
	if l.n < len(l.first) {
		l.first[l.n] = r
	} else {
		l.more = append(l.more, r)
	}
	l.n++
}

func (l *reasonList) at(i int) string {
	if i < len(l.first) {
		return l.first[i]
	}
	return l.more[i-len(l.first)]
}

// appendJoined appends the reasons to b, separated by ", ".
func (l *reasonList) appendJoined(b []byte) []byte {
	for i := 0; i < l.n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, l.at(i)...)
	}
	return b
}

// joined returns the reasons separated by ", ".
func (l *reasonList) joined() string {
	if l.n == 1 {
		return l.first[0]
	}
	var buf [128]byte
	return string(l.appendJoined(buf[:0]))
}

func (c *checks) warn(reason string) {
	c.status = worse(c.status, Warn)
	c.add(reason)
}

func (c *checks) fail(reason string) {
	c.status = Fail
	c.add(reason)
}

func (c *checks) add(reason string) {
	c.list.add(reason)
}

// result builds the rule result from the accumulated checks.
func (c *checks) result(s spec, okCode, okReason string, details Details) RuleResult {
	r := RuleResult{Status: Pass, Severity: s.severity, Owner: s.owner, Tags: s.tags, Details: details,
		ReasonCode: okCode, Reason: okReason}
	if c.status != "" {
		r.Status = c.status
	}
	if c.list.n > 0 {
		r.ReasonCode = c.list.first[0]
		r.Reason = c.list.joined()
	}
	return r
}

// lowerBound runs a "value ≥ limit" check: an absent value warns, a smaller
// one fails and records the limit in details under limitKey.
func (c *checks) lowerBound(limit *float64, v float64, ok bool, missing, failing, limitKey string, details *Details) {
	if limit == nil {
		return
	}
	switch {
	case !ok:
		c.warn(missing)
	case v < *limit:
		c.fail(failing)
		details.Set(limitKey, *limit)
	}
}

// upperBound runs a "value ≤ limit" check.
func (c *checks) upperBound(limit *float64, v float64, ok bool, missing, failing, limitKey string, details *Details) {
	if limit == nil {
		return
	}
	switch {
	case !ok:
		c.warn(missing)
	case v > *limit:
		c.fail(failing)
		details.Set(limitKey, *limit)
	}
}

// stageValue is the request stage as reported in details (null when none).
func (e *engine) stageValue() any {
	return e.stageAny
}

// firstPresent returns the first of names present in the flat map (CD9:
// 0.0 is a value).
func firstPresent(flat *metrics.Flat, names ...string) (float64, bool) {
	for _, n := range names {
		if v, ok := flat.Lookup(n); ok {
			return v, true
		}
	}
	return 0, false
}

func metaSpec(name string, meta policy.Meta, sev policy.Severity, owner policy.Owner, tags []string) spec {
	return spec{name, meta.SeverityOr(sev), meta.OwnerOr(owner), tags}
}

// ExtendedLayersApply reports whether evaluating a cohort of stage under p
// yields any extended-layer result: some layer is configured in the policy
// as it materializes for the stage and, for paper/shadow consistency, the
// rule applies to the stage. A pass for which it is false records nothing
// (§3.8: only runs that get extended results are recorded), so a handler
// can skip it before enriching a single run.
func ExtendedLayersApply(p *policy.Policy, stage string, failClosed bool) bool {
	if p == nil {
		return false
	}
	m := p.Materialize(stage, failClosed)
	return m.Cohort != nil || m.Portfolio != nil || m.Benchmark != nil || m.Stress != nil || m.LiveMonitoring != nil ||
		(m.PaperShadowConsistency != nil && paperShadowApplies(m.PaperShadowConsistency, stage))
}
