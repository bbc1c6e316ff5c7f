package extended

import (
	"sort"
	"strings"

	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

// Names of the extended layers, in result order (spec §3.3).
func layerNames() [6]string {
	return [6]string{rules.Cohort, rules.Portfolio, rules.Benchmark, rules.Stress, rules.PaperShadowConsistency, rules.LiveMonitoring}
}

// IsLayer reports whether name is the result key of an extended layer.
func IsLayer(name string) bool {
	for _, l := range layerNames() {
		if l == name {
			return true
		}
	}
	return false
}

// Reason codes this package adds to the extended layers.
const (
	// ReasonExtremeSharpe warns every cohort member when a member's Sharpe
	// exceeds the extreme-Sharpe limit (O4).
	ReasonExtremeSharpe = "cohort_extreme_sharpe_detected"
	// ReasonLiveESMissing warns when no live ES is available for the
	// live ES gate (O18).
	ReasonLiveESMissing = "live_es_missing"
	// ReasonLiveESExceeds fails when the mean live ES exceeds its limit
	// (O18).
	ReasonLiveESExceeds = "live_es_exceeds_max"
)

// isWarnReason reports whether a reason code of an extended layer is a warn
// (validation-core Appendix A): every "missing" code, top_k_unavailable and
// the extreme-Sharpe warn. Every other code of these layers is a fail.
func isWarnReason(code string) bool {
	return strings.HasSuffix(code, "_missing") || code == "top_k_unavailable" || code == ReasonExtremeSharpe
}

// Aggregate applies D7 to an extended result whose reasons were collected
// in check order: status is the worst check (already so), reason_code the
// first fail reason, else the first warn reason, and reason the fail
// reasons then the warn reasons, each in check order, joined by ", ". A
// passing result and a rule_error are returned unchanged.
func Aggregate(r rules.RuleResult) rules.RuleResult {
	if r.Status == rules.Pass || r.ReasonCode == rules.ReasonRuleError || r.Reason == "" {
		return r
	}
	codes := strings.Split(r.Reason, ", ")
	fails := make([]string, 0, len(codes))
	var warns []string
	for _, c := range codes {
		if isWarnReason(c) {
			warns = append(warns, c)
		} else {
			fails = append(fails, c)
		}
	}
	ordered := append(fails, warns...)
	r.ReasonCode, r.Reason = ordered[0], strings.Join(ordered, ", ")
	return r
}

// addCheck records one more check outcome (status warn or fail with code)
// on an extended result, keeping D7's order.
func addCheck(r rules.RuleResult, status rules.Status, code string) rules.RuleResult {
	if r.Status == rules.Pass {
		r.Status, r.ReasonCode, r.Reason = status, code, code
		return r
	}
	if status == rules.Fail {
		r.Status = rules.Fail
	}
	r.Reason += ", " + code
	return Aggregate(r)
}

// withDetail returns r with its details copied and key set, so that results
// sharing details (the world-level live result) stay independent.
func withDetail(r rules.RuleResult, key string, v any) rules.RuleResult {
	d := append(rules.Details(nil), r.Details...)
	d.Set(key, v)
	r.Details = d
	return r
}

// WithoutQMTLPortfolioKeys removes the details max_incremental_var_99 and
// max_incremental_es_99, under which QMTL put the metric values (D26: the
// values are under incremental_var_99 and incremental_es_99, the limits
// under *_max and min_*).
func WithoutQMTLPortfolioKeys(r rules.RuleResult) rules.RuleResult {
	d := make(rules.Details, 0, len(r.Details))
	for _, x := range r.Details {
		if x.Key != "max_incremental_var_99" && x.Key != "max_incremental_es_99" {
			d = append(d, x)
		}
	}
	r.Details = d
	return r
}

// WithExtremeSharpe adds the extreme-Sharpe check of O4 to a cohort result:
// when offenders (the members whose Sharpe exceeds limit) is not empty, the
// result warns cohort_extreme_sharpe_detected; details gain
// extreme_sharpe_max and extreme_sharpe_strategies either way.
func WithExtremeSharpe(r rules.RuleResult, limit float64, offenders []string) rules.RuleResult {
	r = withDetail(r, "extreme_sharpe_max", limit)
	r = withDetail(r, "extreme_sharpe_strategies", append([]string{}, offenders...))
	if len(offenders) == 0 {
		return r
	}
	return addCheck(r, rules.Warn, ReasonExtremeSharpe)
}

// WithLiveES adds the live ES gate of O18 to a live_monitoring result: the
// mean of the strategies' live_es_p01 (mean, ok) against limit — missing
// warns live_es_missing, above the limit fails live_es_exceeds_max with
// es_max in details. details gain es_mean either way.
func WithLiveES(r rules.RuleResult, limit, mean float64, ok bool) rules.RuleResult {
	if ok {
		r = withDetail(r, "es_mean", mean)
	} else {
		r = withDetail(r, "es_mean", nil)
	}
	switch {
	case !ok:
		return addCheck(r, rules.Warn, ReasonLiveESMissing)
	case mean > limit:
		r = withDetail(r, "es_max", limit)
		return addCheck(r, rules.Fail, ReasonLiveESExceeds)
	}
	return r
}

// Summary is validation.extended_summary (O6): the worst status over the
// extended results whose severity is blocking, and each of those results'
// status. With no blocking extended result the status is pass. The run's
// summary.status is never changed (QMTL parity); gates read this instead.
type Summary struct {
	// Status is pass, warn or fail.
	Status rules.Status `json:"status"`
	// Blocking maps each blocking extended result to its status, in
	// result order.
	Blocking rules.Details `json:"blocking"`
}

// Summarize computes the extended summary of one run's extended results.
func Summarize(results rules.Results) Summary {
	s := Summary{Status: rules.Pass, Blocking: rules.Details{}}
	for _, nr := range results {
		if !IsLayer(nr.Name) || nr.Result.Severity != policy.Blocking {
			continue
		}
		s.Blocking = append(s.Blocking, rules.Detail{Key: nr.Name, Value: nr.Result.Status})
		switch {
		case nr.Result.Status == rules.Fail:
			s.Status = rules.Fail
		case nr.Result.Status == rules.Warn && s.Status == rules.Pass:
			s.Status = rules.Warn
		}
	}
	return s
}

// Reason codes of the cohort's top-k check.
const (
	reasonTopKExceeded    = "cohort_top_k_exceeded"
	reasonTopKUnavailable = "top_k_unavailable"
)

// TopK selects the first k of a cohort by a metric, descending (O3: the
// cohort may rank by deflated Sharpe instead of Sharpe): values[i] is
// member i's value and has[i] whether it has one; a member without one
// ranks last, ties keep cohort order. It returns nil — no selection —
// when no member has a value or k ≤ 0.
func TopK(values []float64, has []bool, k int) []bool {
	some := false
	for _, h := range has {
		some = some || h
	}
	if !some || k <= 0 {
		return nil
	}
	order := make([]int, len(values))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		i, j := order[a], order[b]
		switch {
		case has[i] && has[j]:
			return values[i] > values[j]
		default:
			return has[i] && !has[j]
		}
	})
	out := make([]bool, len(values))
	for pos, i := range order {
		out[i] = pos < k
	}
	return out
}

// WithTopK replaces the top-k check of a cohort result with another
// selection (O3): selected nil means no selection was possible (warn
// top_k_unavailable), false fails cohort_top_k_exceeded. The other checks'
// reasons are kept; status, reason_code and reason are recomputed (D7), and
// details record selected_in_top_k and top_k_metric.
func WithTopK(r rules.RuleResult, metric string, selected *bool) rules.RuleResult {
	if r.ReasonCode == rules.ReasonRuleError {
		return r
	}
	var kept []string
	if r.Status != rules.Pass {
		for _, c := range strings.Split(r.Reason, ", ") {
			if c != reasonTopKExceeded && c != reasonTopKUnavailable {
				kept = append(kept, c)
			}
		}
	}
	switch {
	case selected == nil:
		kept = append(kept, reasonTopKUnavailable)
	case !*selected:
		kept = append(kept, reasonTopKExceeded)
	}
	var sel any
	if selected != nil {
		sel = *selected
	}
	r = withDetail(r, "selected_in_top_k", sel)
	r = withDetail(r, "top_k_metric", metric)
	if len(kept) == 0 {
		r.Status, r.ReasonCode, r.Reason = rules.Pass, "cohort_ok", "Cohort criteria satisfied"
		return r
	}
	r.Status = rules.Warn
	for _, c := range kept {
		if !isWarnReason(c) {
			r.Status = rules.Fail
		}
	}
	r.ReasonCode, r.Reason = kept[0], strings.Join(kept, ", ")
	return Aggregate(r)
}
