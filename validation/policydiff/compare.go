package policydiff

import (
	"context"
	"sort"

	"github.com/worldval/worldval/validation/rules"
)

// compareAll compares every strategy's two outcomes, with at most workers
// goroutines. The result is parallel to set.
func compareAll(ctx context.Context, set []keyed, oldOut, newOut *rules.SetOutcome, workers int, progress func(Progress)) []StrategyDiff {
	out := make([]StrategyDiff, len(set))
	progress(Progress{Phase: "compare", Total: len(set)})
	oldStage, newStage := optString(oldOut.RecommendedStage), optString(newOut.RecommendedStage)
	_ = parallel(ctx, len(set), workers, func(i int) {
		d := compare(&oldOut.Strategies[i].Outcome, &newOut.Strategies[i].Outcome)
		d.Key, d.StrategyID, d.RunID = set[i].key, set[i].run.StrategyID, set[i].run.RunID
		d.OldRecommendedStage, d.NewRecommendedStage = oldStage, newStage
		d.HasChanges = d.HasChanges || !equalPtr(oldStage, newStage)
		out[i] = d
	})
	progress(Progress{Phase: "compare", Done: len(set), Total: len(set)})
	return out
}

// compare is the per-strategy diff of §11.2, without identity and stages.
func compare(o, n *rules.Outcome) StrategyDiff {
	d := StrategyDiff{
		OldSelected:      o.Summary.Active,
		NewSelected:      n.Summary.Active,
		OldStatus:        severityBlind(o.Validation.Results),
		NewStatus:        severityBlind(n.Validation.Results),
		OldSummaryStatus: string(o.Summary.Status),
		NewSummaryStatus: string(n.Summary.Status),
		RuleChanges:      ruleChanges(o.Validation.Results, n.Validation.Results),
	}
	d.Change = changeLabel(d.OldStatus, d.NewStatus)
	d.HasChanges = d.OldSelected != d.NewSelected || !equalPtr(d.OldStatus, d.NewStatus) || len(d.RuleChanges) > 0
	return d
}

// severityBlind is the status of §11.2: fail if any result fails, else warn
// if any warns, else pass if there are results, else null.
func severityBlind(rs rules.Results) *string {
	if len(rs) == 0 {
		return nil
	}
	worst := rules.Pass
	for _, r := range rs {
		switch r.Result.Status {
		case rules.Fail:
			s := string(rules.Fail)
			return &s
		case rules.Warn:
			worst = rules.Warn
		}
	}
	s := string(worst)
	return &s
}

// ruleChanges lists, by rule name, the rules whose status differs; a rule
// present on one side only counts as changed.
func ruleChanges(o, n rules.Results) []RuleChange {
	var out []RuleChange
	for _, r := range o {
		nr, ok := n.Get(r.Name)
		if ok && nr.Status == r.Result.Status {
			continue
		}
		c := RuleChange{Rule: r.Name}
		c.OldStatus, c.OldReason, c.OldReasonCode = sides(r.Result)
		if ok {
			c.NewStatus, c.NewReason, c.NewReasonCode = sides(nr)
		}
		out = append(out, c)
	}
	for _, r := range n {
		if _, ok := o.Get(r.Name); ok {
			continue
		}
		c := RuleChange{Rule: r.Name}
		c.NewStatus, c.NewReason, c.NewReasonCode = sides(r.Result)
		out = append(out, c)
	}
	if len(out) > 1 {
		sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	}
	if out == nil {
		out = []RuleChange{}
	}
	return out
}

func sides(r rules.RuleResult) (status, reason, code *string) {
	s := string(r.Status)
	return &s, optString(r.Reason), optString(r.ReasonCode)
}

// rank orders severity-blind statuses: pass 0, warn 1, fail 2, null −1.
func rank(s *string) int {
	if s == nil {
		return -1
	}
	switch rules.Status(*s) {
	case rules.Pass:
		return 0
	case rules.Warn:
		return 1
	case rules.Fail:
		return 2
	}
	return -1
}

// changeLabel labels a status change as §11.6 does.
func changeLabel(o, n *string) string {
	switch ro, rn := rank(o), rank(n); {
	case rn > ro:
		return Tightened
	case rn < ro:
		return Relaxed
	}
	return Other
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// statusName renders a severity-blind status for transition keys.
func statusName(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}
