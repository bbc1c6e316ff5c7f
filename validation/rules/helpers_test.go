package rules

import (
	"os"
	"strings"
	"testing"

	"github.com/worldval/worldval/validation/policy"
)

// pol parses a policy document or fails the test.
func pol(t testing.TB, doc string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	return p
}

// annotated returns the spec's annotated example policy (validation-core §6.9).
func annotated(t testing.TB) *policy.Policy {
	t.Helper()
	b, err := os.ReadFile("../policy/testdata/annotated_example.yml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// doc builds a metrics document from dotted paths and values.
func doc(kv ...any) map[string]any {
	out := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		parts := strings.Split(kv[i].(string), ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = kv[i+1]
	}
	return out
}

// good is a metrics document that passes every core rule of an empty policy.
func good() map[string]any {
	return doc(
		"returns.sharpe", 0.12, "returns.max_drawdown", 0.1, "returns.gain_to_pain_ratio", 1.5,
		"returns.time_under_water_ratio", 0.2,
		"sample.effective_history_years", 3.0, "sample.n_trades_total", 756, "sample.n_trades_per_year", 252.0,
		"risk.adv_utilization_p95", 0.1, "risk.participation_rate_p95", 0.05,
		"robustness.deflated_sharpe_ratio", 0.9, "robustness.sharpe_first_half", 0.1, "robustness.sharpe_second_half", 0.13,
	)
}

// result evaluates one strategy and returns the named rule's result.
func result(t *testing.T, p *policy.Policy, in Input, rule string) RuleResult {
	t.Helper()
	out := Evaluate(p, in)
	r, ok := out.Validation.Results.Get(rule)
	if !ok {
		t.Fatalf("no %s result; have %v", rule, names(out.Validation.Results))
	}
	return r
}

func names(rs Results) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}
