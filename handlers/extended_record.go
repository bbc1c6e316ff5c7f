package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/validation/extended"
	"github.com/worldval/worldval/validation/rules"
)

// cohortContext is the cohort_context of ExtendedValidationCompleted and
// the statistics of CohortEvaluated.
type cohortContext struct {
	Members      []events.CohortMember `json:"members"`
	MedianSharpe *float64              `json:"median_sharpe"`
	MedianDSR    *float64              `json:"median_dsr"`
	TopKSelected []string              `json:"top_k_selected"`
}

// newCohortContext computes a cohort's members, its median Sharpe and DSR
// over the members that have one (an even count averages the two middle
// values), and the members the cohort rule selected into the top k.
func newCohortContext(ms []*member, results []rules.Results) cohortContext {
	cc := cohortContext{Members: make([]events.CohortMember, len(ms)), TopKSelected: []string{}}
	var sharpes, dsrs []float64
	for i, m := range ms {
		cc.Members[i] = events.CohortMember{StrategyID: m.view.StrategyID, RunID: m.view.RunID}
		if v, ok := m.enriched.Flat["sharpe"]; ok {
			sharpes = append(sharpes, v)
		}
		if v, ok := m.enriched.Flat["deflated_sharpe_ratio"]; ok {
			dsrs = append(dsrs, v)
		}
		if r, ok := results[i].Get(rules.Cohort); ok {
			if sel, _ := r.Details.Get("selected_in_top_k"); sel == true {
				cc.TopKSelected = append(cc.TopKSelected, m.view.StrategyID)
			}
		}
	}
	cc.MedianSharpe, cc.MedianDSR = median(sharpes), median(dsrs)
	return cc
}

// median returns the median of xs, nil when empty.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	v := s[n/2]
	if n%2 == 0 {
		v = (s[n/2-1] + s[n/2]) / 2
	}
	return &v
}

// recordCohort appends the cohort's CohortEvaluated, keyed by the trigger:
// cohort_evaluated:{world}:{stage:S|campaign:C}:{trigger key}. It returns
// the members the pass records on: this pass's members, or, when the
// trigger's cohort was recorded before (a re-delivery after a crash), the
// members recorded then, so that the runs of one pass are those of one
// cohort.
func (x *ExtendedValidator) recordCohort(ctx context.Context, env *passEnv, g *cohortGroup, cc cohortContext) (map[events.CohortMember]bool, error) {
	name, stream := "stage:"+g.stage, ""
	var err error
	if g.campaign != "" {
		name = "campaign:" + g.campaign
		stream, err = events.CampaignStream(env.world, g.campaign)
	} else {
		stream, err = events.CohortStream(env.world, g.stage)
	}
	if err != nil {
		return nil, err
	}
	p := events.CohortEvaluated{
		WorldID: env.world, Stage: g.stage, CampaignID: g.campaign, Members: cc.Members,
		MedianSharpe: cc.MedianSharpe, MedianDSR: cc.MedianDSR, TopK: nil, TopKSelected: cc.TopKSelected,
		PolicyVersion: env.version, Trigger: env.trig,
	}
	if c := env.pol.Cohort; c != nil && c.TopK != nil {
		k := *c.TopK
		p.TopK = &k
	}
	ev, err := x.reg.New(p, events.Meta{
		IdempotencyKey: fmt.Sprintf("cohort_evaluated:%s:%s:%s", env.world, name, env.trig.IdempotencyKey),
		OccurredAt:     env.now, Actor: ExtendedName, CausationID: env.trig.EventID,
	})
	if err != nil {
		return nil, err
	}
	res, err := x.repo.Store().Append(ctx, stream, eventstore.Any{}, ev)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", stream, err)
	}
	members := cc.Members
	if res.Duplicate {
		recs, err := x.repo.Store().ReadAll(ctx, res.Position-1, 1)
		if err != nil || len(recs) != 1 || recs[0].ID != ev.ID {
			return nil, fmt.Errorf("read the recorded cohort of %s at %d: %v", stream, res.Position, err)
		}
		stored, err := events.DecodeAs[events.CohortEvaluated](x.reg, &recs[0].Event)
		if err != nil {
			return nil, err
		}
		members = stored.Members
	}
	set := make(map[events.CohortMember]bool, len(members))
	for _, m := range members {
		set[m] = true
	}
	return set, nil
}

// recordTargets appends each target's ExtendedValidationCompleted, a few at
// a time (the store's group commit batches them). Targets the recorded
// cohort does not hold are skipped. It returns how many events it
// appended.
func (x *ExtendedValidator) recordTargets(ctx context.Context, env *passEnv, ms []*member, results []rules.Results, cc cohortContext, recorded map[events.CohortMember]bool) (int, error) {
	ctxJSON, err := rawJSON(cc)
	if err != nil {
		return 0, err
	}
	trig, err := rawJSON(env.trig)
	if err != nil {
		return 0, err
	}
	snap := snapshotRef(env.snapshot())
	appended := make([]bool, len(ms))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(x.cfg.Parallelism)
	for i, m := range ms {
		if !m.target || m.run == nil || !recorded[events.CohortMember{StrategyID: m.view.StrategyID, RunID: m.view.RunID}] {
			continue
		}
		g.Go(func() error {
			stream, err := events.RunStream(env.world, m.view.StrategyID, m.view.RunID)
			if err != nil {
				return err
			}
			meta := events.Meta{
				IdempotencyKey: evaluationrun.ExtendedKey(env.world, m.view.StrategyID, m.view.RunID, env.trig.IdempotencyKey),
				OccurredAt:     env.now, Actor: ExtendedName, CausationID: env.trig.EventID,
				CorrelationID: "evaluation_run:" + env.world + ":" + m.view.StrategyID + ":" + m.view.RunID,
			}
			res, err := aggregates.Update(gctx, x.repo, stream, func(run *evaluationrun.Run) ([]events.Event, error) {
				p, err := extendedPayload(run, m.enriched.Metrics, results[i])
				if err != nil {
					return nil, err
				}
				p.EvaluatedAt, p.Stage, p.Trigger, p.PolicyVersion = secondsZ(env.now), run.Request.Stage, trig, env.version
				p.Snapshot, p.CohortContext = snap, ctxJSON
				return run.RecordExtended(x.reg, evaluationrun.RecordExtended{Meta: meta, Result: p})
			})
			if err != nil {
				return fmt.Errorf("record extended results of %s: %w", stream, err)
			}
			appended[i] = !res.Duplicate
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	n := 0
	for _, a := range appended {
		if a {
			n++
		}
	}
	return n, nil
}

// extendedPayload computes the run-specific part of a merge: the metrics
// patch from the run's current metrics (its evaluated metrics with every
// earlier patch applied) to the enriched document, this pass's results,
// the merged results (the latest merged results, else the core results,
// overlaid with this pass's), and the extended summary (O6).
func extendedPayload(run *evaluationrun.Run, enriched map[string]any, results rules.Results) (events.ExtendedValidationCompleted, error) {
	var p events.ExtendedValidationCompleted
	current, err := extended.DecodeObject(run.Metrics)
	if err != nil {
		return p, err
	}
	for _, raw := range run.ExtendedPatches {
		patch, err := extended.DecodeObject(raw)
		if err != nil {
			return p, err
		}
		current = extended.ApplyPatch(current, patch)
	}
	if p.MetricsPatch, err = rawJSON(extended.Diff(current, enriched)); err != nil {
		return p, err
	}
	merged, err := previousResults(run)
	if err != nil {
		return p, err
	}
	for _, nr := range results {
		replaced := false
		for i := range merged {
			if merged[i].Name == nr.Name {
				merged[i].Result, replaced = nr.Result, true
			}
		}
		if !replaced {
			merged = append(merged, nr)
		}
	}
	if p.Results, err = rawJSON(results); err != nil {
		return p, err
	}
	if p.MergedResults, err = rawJSON(merged); err != nil {
		return p, err
	}
	p.ExtendedSummary, err = rawJSON(extended.Summarize(results))
	return p, err
}

// previousResults returns the run's results before this merge: those of
// its latest merge, else its core results.
func previousResults(run *evaluationrun.Run) (rules.Results, error) {
	if len(run.ExtendedResults) > 0 {
		var rs rules.Results
		if err := json.Unmarshal(run.ExtendedResults, &rs); err != nil {
			return nil, fmt.Errorf("merged results: %w", err)
		}
		return rs, nil
	}
	rs := make(rules.Results, 0, len(run.Rules)+6)
	for _, r := range run.Rules {
		var rr rules.RuleResult
		if err := json.Unmarshal(r.Result, &rr); err != nil {
			return nil, fmt.Errorf("result of rule %s: %w", r.Rule, err)
		}
		rs = append(rs, rules.NamedResult{Name: r.Rule, Result: rr})
	}
	return rs, nil
}
