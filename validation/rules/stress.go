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
	// The reason codes are written back to back into buffers on the stack
	// and become one string, the reason, of which the reason code is a
	// prefix: one allocation where building each code took one and joining
	// them another (BenchmarkEvaluate, two missing metrics: 3 → 1
	// allocations, 3.1k → 2.1k instructions).
	var failBuf, warnBuf [128]byte
	fails, warns := failBuf[:0], warnBuf[:0]
	firstFail, firstWarn := 0, 0 // the lengths of the first codes
	check := func(limit *float64, v float64, ok bool, name, what, limitSuffix string) {
		if limit == nil {
			return
		}
		switch {
		case !ok:
			warns = appendCode(warns, name, what, "_missing")
			if firstWarn == 0 {
				firstWarn = len(warns)
			}
		case math.Abs(v) > *limit:
			fails = appendCode(fails, name, what, "_exceeds_max")
			if firstFail == 0 {
				firstFail = len(fails)
			}
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
	// Fail reasons come before warn reasons; the code is the first reason.
	switch {
	case len(fails) > 0:
		if len(warns) > 0 {
			fails = append(append(fails, ", "...), warns...)
		}
		r.Status, r.Reason = Fail, string(fails)
		r.ReasonCode = r.Reason[:firstFail]
	case len(warns) > 0:
		r.Status, r.Reason = Warn, string(warns)
		r.ReasonCode = r.Reason[:firstWarn]
	}
	return r
}

// appendCode appends the stress reason code <scenario>_<check><outcome> to
// the codes in b, separated by ", ".
func appendCode(b []byte, scenario, check, outcome string) []byte {
	if len(b) > 0 {
		b = append(b, ", "...)
	}
	return append(append(append(append(b, scenario...), '_'), check...), outcome...)
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
