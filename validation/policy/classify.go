package policy

import "strings"

// Group is the class of a threshold's metric (validation-core §7.5). It only
// decides which rule reports a threshold: every threshold, whatever its
// group, also feeds the Performance rule and selection.
type Group uint8

// Metric groups.
const (
	// GroupPerformance is everything not matched below (sharpe, max_drawdown,
	// gain_to_pain_ratio, deflated_sharpe_ratio, …).
	GroupPerformance Group = iota
	// GroupDataCurrency: names starting with lag, stale, fresh, as_of or
	// coverage; DataCurrency requires their presence.
	GroupDataCurrency
	// GroupSample: names starting with sample, history, effective_history,
	// n_trades, num_trades, or containing "trade"; Sample re-checks them.
	GroupSample
	// GroupRisk: names starting with adv_, participation_rate, exposure, var,
	// es, beta, correlation, leverage or tail.
	GroupRisk
)

// String returns the group's name as used in the spec.
func (g Group) String() string {
	switch g {
	case GroupDataCurrency:
		return "data_currency"
	case GroupSample:
		return "sample"
	case GroupRisk:
		return "risk"
	}
	return "performance"
}

// Classify puts a threshold metric in its group; the first matching rule wins
// and names are compared lower-cased.
func Classify(metric string) Group {
	n := strings.ToLower(metric)
	switch {
	case hasAnyPrefix(n, "lag", "stale", "fresh", "as_of", "coverage"):
		return GroupDataCurrency
	case hasAnyPrefix(n, "sample", "history", "effective_history", "n_trades", "num_trades") || strings.Contains(n, "trade"):
		return GroupSample
	case hasAnyPrefix(n, "adv_", "participation_rate", "exposure", "var", "es", "beta", "correlation", "leverage", "tail"):
		return GroupRisk
	}
	return GroupPerformance
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
