package rules

import (
	"math"

	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

func (e *engine) specStress() spec {
	return metaSpec(Stress, e.m.Stress.Meta, policy.Info, policy.Ops, tagsStress)
}

// stress checks every configured scenario's drawdown, ES and VaR limits
// against stress.<name>.* (absolute values), in document order
// (validation-core §7.8.4). Fail reasons come before warn reasons.
func (e *engine) stress(i int) RuleResult {
	cfg := e.m.Stress
	flat := e.cands[i].flat
	names := make([]string, len(cfg.Scenarios))
	for j, sc := range cfg.Scenarios {
		names[j] = sc.Name
	}
	details := e.arena.withRoom(3, Detail{"scenarios", names}, Detail{"stage", e.stageValue()})
	var fails, warns reasonList
	check := func(limit *float64, v float64, ok bool, name, what, limitSuffix string) {
		if limit == nil {
			return
		}
		switch {
		case !ok:
			warns.add(name + "_" + what + "_missing")
		case math.Abs(v) > *limit:
			fails.add(name + "_" + what + "_exceeds_max")
			details.Set(name+limitSuffix, *limit)
		}
	}
	var buf [96]byte
	for _, sc := range cfg.Scenarios {
		dd, hasDD := stressValue(flat, &buf, sc.Name, "max_drawdown")
		if !hasDD {
			dd, hasDD = stressValue(flat, &buf, sc.Name, "dd_max")
		}
		es, hasES := stressValue(flat, &buf, sc.Name, "es_99")
		v, hasV := stressValue(flat, &buf, sc.Name, "var_99")
		check(sc.DDMax, dd, hasDD, sc.Name, "dd", "_dd_max")
		check(sc.ES99, es, hasES, sc.Name, "es", "_es_99_max")
		check(sc.VaR99, v, hasV, sc.Name, "var", "_var_99_max")
	}
	s := e.specStress()
	r := RuleResult{Status: Pass, Severity: s.severity, Owner: s.owner, Tags: s.tags, Details: details,
		ReasonCode: "stress_ok", Reason: "Stress scenarios satisfied"}
	switch {
	case fails.n > 0:
		r.Status, r.ReasonCode = Fail, fails.first[0]
	case warns.n > 0:
		r.Status, r.ReasonCode = Warn, warns.first[0]
	}
	switch {
	case fails.n > 0 && warns.n > 0:
		var buf [256]byte
		b := append(fails.appendJoined(buf[:0]), ", "...)
		r.Reason = string(warns.appendJoined(b))
	case fails.n > 0:
		r.Reason = fails.joined()
	case warns.n > 0:
		r.Reason = warns.joined()
	}
	return r
}

// stressValue looks up stress.<scenario>.<field> without building the key on
// the heap.
func stressValue(flat *metrics.Flat, buf *[96]byte, scenario, field string) (float64, bool) {
	b := append(buf[:0], "stress."...)
	b = append(b, scenario...)
	b = append(b, '.')
	b = append(b, field...)
	v, ok := flat.LookupBytes(b)
	return v, ok
}
