package rules

import (
	"strings"

	"github.com/worldval/worldval/validation/policy"
)

// sampleNames are the sample-depth metrics the Sample rule always reports.
var sampleNames = [...]string{"n_trades_total", "n_trades_per_year", "num_trades", "effective_history_years", "sample_days"}

func (e *engine) specSample() spec {
	meta := e.m.Profile.SampleMeta()
	return spec{Sample, meta.SeverityOr(policy.Soft), meta.OwnerOr(policy.Quant), tagsSample}
}

// sample checks sample depth (validation-core §7.7.2): sample-group
// thresholds are evaluated with mode fail against the full flat map (CD7);
// without them the rule passes when any sample metric is > 0 and warns
// otherwise.
func (e *engine) sample(i int) RuleResult {
	s := e.specSample()
	flat := e.cands[i].flat
	r := RuleResult{Severity: s.severity, Owner: s.owner, Tags: s.tags}
	if len(e.sampleTh) > 0 {
		if vs := checkThresholds(e.sampleTh, flat, policy.ModeFail); len(vs) > 0 {
			names := make([]string, len(vs))
			for j, v := range vs {
				names[j] = v.Metric
			}
			r.Status, r.ReasonCode = Fail, "sample_thresholds_failed"
			r.Reason = "Sample thresholds failed: " + strings.Join(names, ", ")
			r.Details = e.arena.of(Detail{"violations", vs})
			return r
		}
	}
	values := e.arena.withRoom(len(sampleNames) + len(e.sampleTh))
	positive := false
	for _, n := range sampleNames {
		if v, ok := flat.Lookup(n); ok {
			values = append(values, Detail{n, v})
			positive = positive || v > 0
		}
	}
	for _, t := range e.sampleTh {
		if v, ok := flat.Lookup(t.Metric); ok {
			// A name already listed holds this same value: only a new one
			// is added (Set would box it again for nothing).
			if _, listed := values.Get(t.Metric); !listed {
				values = append(values, Detail{t.Metric, v})
			}
			positive = positive || v > 0
		}
	}
	r.Details = e.arena.of(Detail{"sample_metrics", values})
	if positive {
		r.Status, r.ReasonCode, r.Reason = Pass, "sample_ok", "Sample depth present"
		return r
	}
	r.Status, r.ReasonCode, r.Reason = Warn, "sample_metrics_missing", "No sample metrics found"
	return r
}
