package rules_test

import (
	"testing"

	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

func TestExtendedLayersApply(t *testing.T) {
	parse := func(doc string) *policy.Policy {
		t.Helper()
		p, err := policy.Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	paperOnly := parse("thresholds:\n  sharpe:\n    metric: sharpe\n    min: 0.1\npaper_shadow_consistency:\n  min_sharpe_ratio: 0.5\n")
	custom := parse("paper_shadow_consistency:\n  min_sharpe_ratio: 0.5\n  stages: [live]\n")
	cohort := parse("cohort:\n  top_k: 3\n")
	none := parse("thresholds:\n  sharpe:\n    metric: sharpe\n    min: 0.1\n")
	cases := []struct {
		name  string
		p     *policy.Policy
		stage string
		want  bool
	}{
		{"paper/shadow rule, backtest cohort", paperOnly, "backtest", false},
		{"paper/shadow rule, paper cohort", paperOnly, "paper", true},
		{"paper/shadow rule, shadow cohort", paperOnly, "Shadow", true},
		{"paper/shadow rule, no stage", paperOnly, "", true},
		{"paper/shadow rule for live only, paper cohort", custom, "paper", false},
		{"paper/shadow rule for live only, live cohort", custom, "live", true},
		{"cohort layer, any stage", cohort, "backtest", true},
		{"no layer", none, "paper", false},
		{"no policy", nil, "paper", false},
	}
	for _, tc := range cases {
		if got := rules.ExtendedLayersApply(tc.p, tc.stage, false); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
