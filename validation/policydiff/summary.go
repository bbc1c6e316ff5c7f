package policydiff

import (
	"sort"
	"time"

	"github.com/worldval/worldval/validation/rules"
)

// summarize counts the changes and applies the gate (§11.3–§11.4).
func summarize(oldP, newP Policy, oldOut, newOut *rules.SetOutcome, all []StrategyDiff, opt Options) Report {
	r := Report{
		OldPolicyVersion:  optString(oldP.Version),
		NewPolicyVersion:  optString(newP.Version),
		OldRulesetHash:    oldOut.RulesetHash,
		NewRulesetHash:    newOut.RulesetHash,
		OldProfile:        oldOut.Profile,
		NewProfile:        newOut.Profile,
		Stage:             opt.Stage,
		TotalStrategies:   len(all),
		FailImpactRatio:   opt.FailImpactRatio,
		Timestamp:         opt.Now.UTC().Format(time.RFC3339Nano),
		StatusTransitions: map[string]int{},
		Diffs:             []StrategyDiff{},
	}
	stageChanged := !equalPtr(optString(oldOut.RecommendedStage), optString(newOut.RecommendedStage))
	for i := range all {
		d := &all[i]
		if !d.HasChanges {
			continue
		}
		r.StrategiesAffected++
		if d.OldSelected != d.NewSelected {
			r.SelectionChanges++
		}
		if stageChanged {
			r.StageChanges++
		}
		if !equalPtr(d.OldStatus, d.NewStatus) {
			r.StatusChanges++
			r.StatusTransitions[statusName(d.OldStatus)+"→"+statusName(d.NewStatus)]++
		}
		r.RuleStatusChanges += len(d.RuleChanges)
		r.Diffs = append(r.Diffs, *d)
	}
	if stageChanged {
		// Every strategy changes stage, changed or not otherwise (§11.3).
		r.StageChanges = len(all)
	}
	if r.TotalStrategies > 0 {
		r.ImpactRatio = float64(r.StrategiesAffected) / float64(r.TotalStrategies)
	}
	r.GateFailed = r.ImpactRatio >= r.FailImpactRatio
	r.ManualReview = r.ImpactRatio > manualReviewRatio
	r.TopOffenders = topOffenders(r.Diffs, opt.TopOffenders)
	return r
}

// topOffenders orders the changed strategies as §11.6 does — status
// changed, |rank(new) − rank(old)|, stage changed, selection changed,
// number of rule changes, all descending — and keeps the first n.
func topOffenders(diffs []StrategyDiff, n int) []Offender {
	switch {
	case n == 0:
		n = DefaultTopOffenders
	case n < 0:
		return []Offender{}
	}
	idx := make([]int, len(diffs))
	for i := range idx {
		idx[i] = i
	}
	score := func(d *StrategyDiff) [5]int {
		b := func(v bool) int {
			if v {
				return 1
			}
			return 0
		}
		delta := rank(d.NewStatus) - rank(d.OldStatus)
		if delta < 0 {
			delta = -delta
		}
		return [5]int{
			b(!equalPtr(d.OldStatus, d.NewStatus)), delta,
			b(!equalPtr(d.OldRecommendedStage, d.NewRecommendedStage)), b(d.OldSelected != d.NewSelected),
			len(d.RuleChanges),
		}
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := score(&diffs[idx[i]]), score(&diffs[idx[j]])
		for k := range a {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return false
	})
	out := make([]Offender, 0, min(n, len(idx)))
	for _, i := range idx[:min(n, len(idx))] {
		d := &diffs[i]
		out = append(out, Offender{Key: d.Key, StrategyID: d.StrategyID, RunID: d.RunID, Change: d.Change,
			OldStatus: d.OldStatus, NewStatus: d.NewStatus, RuleChanges: len(d.RuleChanges)})
	}
	return out
}
