package rules

import (
	"sort"
	"strings"

	"github.com/worldval/worldval/internal/jsonfast"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

func (e *engine) specDataCurrency() spec {
	return spec{DataCurrency, policy.Blocking, policy.Ops, tagsDataCurrency}
}

// dataCurrency checks that the metrics of data-currency thresholds are
// present (validation-core §7.7.1); their bounds are Performance's business.
// Severity blocking and owner ops are fixed; mode ignore downgrades the
// severity to info.
func (e *engine) dataCurrency(i int) RuleResult {
	s := e.specDataCurrency()
	flat := e.cands[i].flat
	var missing []string
	for _, m := range e.dcRequired {
		if _, ok := flat.Lookup(m); !ok {
			missing = append(missing, m)
		}
	}
	r := RuleResult{
		Status:     Pass,
		Severity:   s.severity,
		Owner:      s.owner,
		ReasonCode: "data_currency_ok",
		Reason:     "Required metrics present",
		Tags:       s.tags,
	}
	mode := e.mode
	switch {
	case flat.Len() == 0:
		r.Status = Warn
		if mode == policy.ModeFail {
			r.Status = Fail
		}
		if mode == policy.ModeIgnore {
			r.Severity = policy.Info
		}
		r.ReasonCode = "metrics_missing"
		r.Reason = "No metrics provided for strategy"
	case len(missing) > 0:
		switch mode {
		case policy.ModeFail:
			r.Status, r.ReasonCode = Fail, "missing_metric"
		case policy.ModeWarn:
			r.Status, r.ReasonCode = Warn, "missing_metric"
		default:
			r.Status, r.Severity, r.ReasonCode = Warn, policy.Info, "missing_metric_ignored"
		}
		sorted := append([]string(nil), missing...)
		sort.Strings(sorted)
		r.Reason = "Missing metrics: " + strings.Join(sorted, ", ")
	}
	var missingValue any = noMissing
	if len(missing) > 0 {
		missingValue = missing
	}
	r.Details = e.arena.of(
		Detail{"missing_metrics", missingValue},
		Detail{"available_metrics", newMetricNames(flat)},
		Detail{"policy_on_missing_metric", modeValue(mode)},
	)
	return r
}

// noMissing is the empty missing_metrics list, boxed once; it has no elements
// to modify.
var noMissing any = []string{}

// modeValue boxes an on_missing_metric mode; the known modes box as constants
// without allocating.
func modeValue(mode string) any {
	switch mode {
	case policy.ModeFail:
		return policy.ModeFail
	case policy.ModeWarn:
		return policy.ModeWarn
	case policy.ModeIgnore:
		return policy.ModeIgnore
	}
	return mode
}

// MetricNames is the value of data_currency's details.available_metrics: the
// names of the flat metric table the rules saw, which encode (and read,
// through Names) in lexicographic order. It refers to that table, and lists
// and sorts its names only when asked, because most evaluations never look
// at the list before it is serialized.
type MetricNames struct {
	flat *metrics.Flat // never modified
}

func newMetricNames(f *metrics.Flat) MetricNames { return MetricNames{flat: f} }

// Names returns the names in lexicographic order, as a new slice.
func (n MetricNames) Names() []string {
	return n.flat.Names()
}

// MarshalJSON encodes the sorted names as a JSON array, as json.Marshal
// encodes them.
func (n MetricNames) MarshalJSON() ([]byte, error) {
	return jsonfast.AppendStrings(make([]byte, 0, 2+32*n.flat.Len()), n.Names(), true), nil
}
