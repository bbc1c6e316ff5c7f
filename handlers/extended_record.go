package handlers

import (
	"context"
	"encoding/json"
	"errors"
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

// cohortStats are a cohort's statistics: what CohortEvaluated records and
// each member's cohort_context summarizes.
type cohortStats struct {
	members      []events.CohortMember
	medianSharpe *float64
	medianDSR    *float64
	topKSelected []string
	// stream and eventID locate the cohort's CohortEvaluated.
	stream, eventID string
}

// cohortContext is the cohort_context of one member's
// ExtendedValidationCompleted: the cohort's statistics and where its
// CohortEvaluated is, which lists the members once for the whole cohort
// (listing them in every member's event would make a pass write a number
// of members that grows with the square of the cohort).
type cohortContext struct {
	Cohort struct {
		Stream  string `json:"stream"`
		EventID string `json:"event_id"`
	} `json:"cohort"`
	Size           int      `json:"size"`
	MedianSharpe   *float64 `json:"median_sharpe"`
	MedianDSR      *float64 `json:"median_dsr"`
	TopKSelected   []string `json:"top_k_selected"`
	SelectedInTopK *bool    `json:"selected_in_top_k"`
}

// context returns the cohort_context of the member with strategy id.
func (c *cohortStats) context(strategy string, results rules.Results) (json.RawMessage, error) {
	cc := cohortContext{Size: len(c.members), MedianSharpe: c.medianSharpe, MedianDSR: c.medianDSR, TopKSelected: c.topKSelected}
	cc.Cohort.Stream, cc.Cohort.EventID = c.stream, c.eventID
	if r, ok := results.Get(rules.Cohort); ok {
		if sel, ok := r.Details.Get("selected_in_top_k"); ok {
			if b, ok := sel.(bool); ok {
				cc.SelectedInTopK = &b
			}
		}
	}
	return rawJSON(cc)
}

// newCohortStats computes a cohort's members, its median Sharpe and DSR
// over the members that have one (an even count averages the two middle
// values), and the members the cohort rule selected into the top k.
func newCohortStats(ms []*member, results []rules.Results) *cohortStats {
	cs := &cohortStats{members: make([]events.CohortMember, len(ms)), topKSelected: []string{}}
	var sharpes, dsrs []float64
	for i, m := range ms {
		cs.members[i] = events.CohortMember{StrategyID: m.view.StrategyID, RunID: m.view.RunID}
		if v, ok := m.enriched.Flat.Lookup("sharpe"); ok {
			sharpes = append(sharpes, v)
		}
		if v, ok := m.enriched.Flat.Lookup("deflated_sharpe_ratio"); ok {
			dsrs = append(dsrs, v)
		}
		if r, ok := results[i].Get(rules.Cohort); ok {
			if sel, _ := r.Details.Get("selected_in_top_k"); sel == true {
				cs.topKSelected = append(cs.topKSelected, m.view.StrategyID)
			}
		}
	}
	cs.medianSharpe, cs.medianDSR = median(sharpes), median(dsrs)
	return cs
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

// recordCohort appends the cohort's CohortEvaluated, keyed by its
// triggers: cohort_evaluated:{world}:{stage:S|campaign:C}:{suffix}, where
// suffix is the trigger's key, or, for run triggers passed together, a
// digest of theirs ([cohortGroup.cohortTrigger]); it names the last trigger.
// It returns the members the pass records on: this pass's members, or,
// when the cohort was recorded before under that key (a re-delivery after
// a crash), the members recorded then, so that the runs of one pass are
// those of one cohort.
func (x *ExtendedValidator) recordCohort(ctx context.Context, env *passEnv, g *cohortGroup, cc *cohortStats) (map[events.CohortMember]bool, error) {
	name, stream := "stage:"+g.stage, ""
	var err error
	if g.campaign != "" {
		name = "campaign:" + g.campaign
		stream, err = events.CampaignStream(env.world, g.campaign)
	} else {
		stream, err = events.CohortStream(env.world, g.stage)
	}
	if err != nil {
		return nil, fmt.Errorf("cohort stream of %s: %w", name, err)
	}
	trig, suffix := g.cohortTrigger()
	p := events.CohortEvaluated{
		WorldID: env.world, Stage: g.stage, CampaignID: g.campaign, Members: cc.members,
		MedianSharpe: cc.medianSharpe, MedianDSR: cc.medianDSR, TopK: nil, TopKSelected: cc.topKSelected,
		PolicyVersion: env.version, Trigger: trig,
	}
	if c := env.pol.Cohort; c != nil && c.TopK != nil {
		k := *c.TopK
		p.TopK = &k
	}
	ev, err := x.reg.New(p, events.Meta{
		IdempotencyKey: fmt.Sprintf("cohort_evaluated:%s:%s:%s", env.world, name, suffix),
		OccurredAt:     env.now, Actor: ExtendedName, CausationID: trig.EventID,
	})
	if err != nil {
		return nil, fmt.Errorf("cohort of %s: %w", stream, err)
	}
	cc.stream, cc.eventID = stream, ev.ID
	res, err := x.repo.Store().Append(ctx, stream, eventstore.Any{}, ev)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", stream, err)
	}
	members := cc.members
	if res.Duplicate {
		recs, err := x.repo.Store().ReadAll(ctx, res.Position-1, 1)
		if err != nil || len(recs) != 1 || recs[0].ID != ev.ID {
			return nil, fmt.Errorf("read the recorded cohort of %s at %d: %v", stream, res.Position, err)
		}
		stored, err := events.DecodeAs[events.CohortEvaluated](x.reg, &recs[0].Event)
		if err != nil {
			return nil, fmt.Errorf("the recorded cohort of %s at %d: %w", stream, res.Position, err)
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
// a time (the store's group commit batches them). It returns how many
// events it appended, and the targets with results that the recorded
// cohort does not hold, which it skips.
func (x *ExtendedValidator) recordTargets(ctx context.Context, env *passEnv, ms []*member, results []rules.Results, cc *cohortStats, recorded map[events.CohortMember]bool) (int, []*member, error) {
	common := events.ExtendedValidationCompleted{
		EvaluatedAt: secondsZ(env.now), PolicyVersion: env.version, Snapshot: snapshotRef(env.snapshot()),
	}
	appended := make([]bool, len(ms))
	var left []*member
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(x.cfg.Parallelism)
	for i, m := range ms {
		if !m.target || m.entry == nil || len(results[i]) == 0 {
			continue
		}
		if !recorded[events.CohortMember{StrategyID: m.view.StrategyID, RunID: m.view.RunID}] {
			left = append(left, m)
			continue
		}
		g.Go(func() error {
			c := common
			var err error
			if c.Trigger, err = rawJSON(m.trig); err != nil {
				return err
			}
			if c.CohortContext, err = cc.context(m.view.StrategyID, results[i]); err != nil {
				return err
			}
			ok, err := x.recordOne(gctx, env, m, results[i], c)
			appended[i] = ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, nil, err
	}
	n := 0
	for _, a := range appended {
		if a {
			n++
		}
	}
	return n, left, nil
}

// recordOne appends one target's ExtendedValidationCompleted, keyed and
// caused by the target's own trigger, deciding on the cached run and
// appending with the stream version it reflects; when another writer got
// there first, it decides again on a fresh load through the repository. It
// reports whether it appended.
func (x *ExtendedValidator) recordOne(ctx context.Context, env *passEnv, m *member, results rules.Results, common events.ExtendedValidationCompleted) (bool, error) {
	stream, err := events.RunStream(env.world, m.view.StrategyID, m.view.RunID)
	if err != nil {
		return false, err
	}
	meta := events.Meta{
		IdempotencyKey: evaluationrun.ExtendedKey(env.world, m.view.StrategyID, m.view.RunID, m.trig.IdempotencyKey),
		OccurredAt:     env.now, Actor: ExtendedName, CausationID: m.trig.EventID,
		CorrelationID: "evaluation_run:" + env.world + ":" + m.view.StrategyID + ":" + m.view.RunID,
	}
	decide := func(e *runEntry) ([]events.Event, *events.ExtendedValidationCompleted, error) {
		current, err := e.currentMetrics()
		if err != nil {
			return nil, nil, err
		}
		p, err := extendedPayload(current, m.enriched.Metrics, results)
		if err != nil {
			return nil, nil, err
		}
		p.EvaluatedAt, p.Trigger, p.PolicyVersion, p.Snapshot, p.CohortContext = common.EvaluatedAt, common.Trigger, common.PolicyVersion, common.Snapshot, common.CohortContext
		p.Stage, p.ExtendedRevision = e.run.Request.Stage, e.run.ExtendedRevision+1
		evs, err := e.run.RecordExtended(x.reg, evaluationrun.RecordExtended{Meta: meta, Result: p})
		return evs, &p, err
	}
	e := m.entry
	evs, p, err := decide(e)
	if err != nil || len(evs) == 0 {
		return false, err // recorded before: the key is in the run
	}
	res, err := x.repo.Store().Append(ctx, stream, eventstore.Exact(e.run.Version), evs...)
	switch {
	case err == nil && !res.Duplicate:
		rec := events.Record{Event: evs[0], Stream: stream, StreamVersion: res.StreamVersion, GlobalPosition: res.Position}
		if err := e.run.Apply(&rec, p); err != nil {
			x.cache.drop(stream)
			return true, nil
		}
		e.current = m.enriched.Metrics
		e.trim()
		return true, nil
	case err == nil:
		x.cache.drop(stream) // the cached run had missed its own history
		return false, nil
	case !errors.Is(err, eventstore.ErrWrongExpectedVersion):
		return false, fmt.Errorf("append to %s: %w", stream, err)
	}
	x.cache.drop(stream)
	res, err = aggregates.Update(ctx, x.repo, stream, func(run *evaluationrun.Run) ([]events.Event, error) {
		evs, _, err := decide(&runEntry{run: run})
		return evs, err
	})
	if err != nil {
		return false, fmt.Errorf("record extended results of %s: %w", stream, err)
	}
	return !res.Duplicate, nil
}

// extendedPayload computes the run-specific part of a merge: the metrics
// patch from the run's current metrics to the enriched document, this
// pass's results and the extended summary (O6).
//
// merged_results is left out: the run's results overlaid with these are
// what the run read model folds anyway, and recording them on every pass
// would double the size of each event (the catalogue makes the member
// optional).
func extendedPayload(current, enriched map[string]any, results rules.Results) (events.ExtendedValidationCompleted, error) {
	var p events.ExtendedValidationCompleted
	var err error
	if p.MetricsPatch, err = rawJSON(extended.Diff(current, enriched)); err != nil {
		return p, err
	}
	if p.Results, err = rawJSON(results); err != nil {
		return p, err
	}
	p.ExtendedSummary, err = rawJSON(extended.Summarize(results))
	return p, err
}
