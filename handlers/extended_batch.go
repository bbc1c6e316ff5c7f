package handlers

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/rules"
)

// HandleBatch handles recs, consecutive events in global order, as one unit
// (the processor's BatchWorker). Every event is observed in order — the
// snapshot book, the run cache, the world index and the policies follow it
// exactly as [ExtendedValidator.Handle] would — and the triggers are passed
// by segment: the run triggers up to the next world-wide trigger (or the
// end of the batch) are passed together, once per world and cohort, right
// after the last of them is observed, so that the pass sees everything up to
// that trigger and nothing after it; a world-wide trigger is passed alone,
// right after it is observed. A segment's pass uses the default policy at
// its last trigger (no DefaultPolicySet can lie inside a segment: it is a
// world-wide trigger) and waits for the run read model up to it.
//
// Within a cohort, the targets that are their strategy's latest run share
// one pass; a target that is not (an older run of a strategy, which its own
// pass forces into the cohort in place of the latest) and a second trigger
// of a run already in the pass get a pass of their own, after it — so each
// run gets the result a pass of its trigger alone at the end of the segment
// would give, under its own trigger's key.
//
// It returns an error only when the store fails (or ctx ends); the batch is
// then delivered again, and the keys make the retry record only what is
// missing, however the triggers are grouped then.
func (x *ExtendedValidator) HandleBatch(ctx context.Context, recs []events.Record) error {
	ends := segmentEnds(recs)
	var seg []runTrigger
	for i := range recs {
		rec := &recs[i]
		if err := x.observe(ctx, rec); err != nil {
			return fmt.Errorf("extended validation: %w", err)
		}
		switch triggerScope(rec.Type) {
		case scopeRun:
			t, err := x.newRunTrigger(ctx, rec)
			if err != nil {
				return fmt.Errorf("extended validation: %w", err)
			}
			seg = append(seg, t)
			if ends[i] {
				if err := x.passSegment(ctx, seg); err != nil {
					return err
				}
				seg = seg[:0]
			}
		case scopeWorld:
			if err := x.passWorld(ctx, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// observe folds an event into what the handler keeps: the snapshot book,
// the run cache, the world index and the policy cache.
func (x *ExtendedValidator) observe(ctx context.Context, rec *events.Record) error {
	if x.book != nil {
		if err := x.book.Observe(ctx, *rec); err != nil {
			return err
		}
	}
	if err := x.cache.observe(x.reg, rec); err != nil {
		return err
	}
	if err := x.index.observe(ctx, rec); err != nil {
		return err
	}
	x.policies.observe(rec)
	x.settings.observe(rec)
	return nil
}

// segmentEnds marks, for each event of recs, whether it is the last run
// trigger of its segment: the next trigger after it is world-wide, or there
// is none.
func segmentEnds(recs []events.Record) []bool {
	ends := make([]bool, len(recs))
	next := 0 // the scope of the next trigger; 0: none
	for i := len(recs) - 1; i >= 0; i-- {
		s := triggerScope(recs[i].Type)
		if s == scopeRun && next != scopeRun {
			ends[i] = true
		}
		if s != 0 {
			next = s
		}
	}
	return ends
}

// runTrigger is one run-scoped trigger of a segment.
type runTrigger struct {
	world, stream string
	trig          events.Trigger
	pos           uint64
}

// newRunTrigger describes the run trigger rec.
func (x *ExtendedValidator) newRunTrigger(ctx context.Context, rec *events.Record) (runTrigger, error) {
	key, err := triggerKey(ctx, x.repo.Store(), x.reg, rec)
	if err != nil {
		return runTrigger{}, err
	}
	world, err := triggerWorld(x.reg, rec)
	if err != nil {
		return runTrigger{}, err
	}
	return runTrigger{
		world: world, stream: rec.Stream, pos: rec.GlobalPosition,
		trig: events.Trigger{EventType: rec.Type, EventID: rec.ID, IdempotencyKey: key},
	}, nil
}

// passWorld runs the world-wide pass of the trigger rec.
func (x *ExtendedValidator) passWorld(ctx context.Context, rec *events.Record) error {
	key, err := triggerKey(ctx, x.repo.Store(), x.reg, rec)
	if err != nil {
		return fmt.Errorf("extended validation: %w", err)
	}
	world, err := triggerWorld(x.reg, rec)
	if err != nil {
		return fmt.Errorf("extended validation: %w", err)
	}
	trig := events.Trigger{EventType: rec.Type, EventID: rec.ID, IdempotencyKey: key}
	at := rec.GlobalPosition
	err = x.pass(ctx, world, at, x.index.evaluated, func(ctx context.Context, views []runView) ([]*cohortGroup, error) {
		return x.worldTargets(ctx, world, views, at, trig)
	})
	if err != nil {
		return fmt.Errorf("extended validation of %s (%s at %d): %w", world, rec.Type, at, err)
	}
	return nil
}

// passSegment passes a segment of run triggers, in global order: one pass
// per world, in the order the worlds first appear, as of the segment's last
// trigger.
func (x *ExtendedValidator) passSegment(ctx context.Context, seg []runTrigger) error {
	at := seg[len(seg)-1].pos
	byWorld := map[string][]runTrigger{}
	var worlds []string
	for _, t := range seg {
		if _, ok := byWorld[t.world]; !ok {
			worlds = append(worlds, t.world)
		}
		byWorld[t.world] = append(byWorld[t.world], t)
	}
	for _, w := range worlds {
		trigs, err := x.withLayers(ctx, w, at, byWorld[w])
		if err != nil {
			return fmt.Errorf("extended validation of %s: %w", w, err)
		}
		if len(trigs) == 0 {
			continue
		}
		if err := x.pass(ctx, w, at, x.index.current, x.runTargets(trigs)); err != nil {
			if len(trigs) == 1 {
				return fmt.Errorf("extended validation of %s (%s at %d): %w", w, trigs[0].trig.EventType, trigs[0].pos, err)
			}
			return fmt.Errorf("extended validation of %s (%d run triggers, %d to %d): %w", w, len(trigs), trigs[0].pos, at, err)
		}
	}
	return nil
}

// withLayers keeps the triggers of world whose run's stage gets some
// extended layer under the world's default policy at position at: a pass
// over the others would enrich their whole cohort to record nothing
// (§3.8). Their runs come from the run cache, which the handler keeps from
// the events it sees, so the check reads nothing in the common case.
func (x *ExtendedValidator) withLayers(ctx context.Context, world string, at uint64, trigs []runTrigger) ([]runTrigger, error) {
	pol, _, err := x.policies.at(ctx, world, at)
	if err != nil || !hasLayers(pol) {
		return nil, err
	}
	failClosed, err := x.settings.at(ctx, world, at)
	if err != nil {
		return nil, fmt.Errorf("fail-closed setting: %w", err)
	}
	applies := map[string]bool{}
	kept := trigs[:0:0]
	for _, t := range trigs {
		e, err := x.cache.get(ctx, t.stream)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", t.stream, err)
		}
		stage := e.run.Request.Stage
		ok, seen := applies[stage]
		if !seen {
			ok = rules.ExtendedLayersApply(pol, stage, failClosed)
			applies[stage] = ok
		}
		if ok {
			kept = append(kept, t)
		}
	}
	return kept, nil
}

// runTargets plans the pass of a segment's run triggers of one world
// (triggers in global order). Runs that are not evaluated are skipped. For
// each cohort (stage or campaign), in the order the triggers first name it:
// one pass of the targets that are their strategy's latest run in the
// cohort, each run once; then, in trigger order, a pass of its own for each
// other target — a run that is not its strategy's latest (forcing it into
// the shared cohort would change the others' cohort), or a run triggered
// again (its second result follows its first).
func (x *ExtendedValidator) runTargets(trigs []runTrigger) passPlan {
	return func(ctx context.Context, views []runView) ([]*cohortGroup, error) {
		// Each run once: two triggers of a run share its cache entry.
		entries := map[string]*runEntry{}
		var streams []string
		for _, t := range trigs {
			if _, ok := entries[t.stream]; !ok {
				entries[t.stream] = nil
				streams = append(streams, t.stream)
			}
		}
		loaded := make([]*runEntry, len(streams))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(x.cfg.Parallelism)
		for i, stream := range streams {
			g.Go(func() error {
				e, err := x.cache.get(gctx, stream)
				if err != nil {
					return fmt.Errorf("load %s: %w", stream, err)
				}
				loaded[i] = e
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for i, stream := range streams {
			entries[stream] = loaded[i]
		}
		type cohortKey struct{ stage, campaign string }
		type plan struct {
			shared *cohortGroup
			alone  []*cohortGroup
			latest map[runKey]bool
		}
		plans := map[cohortKey]*plan{}
		var order []*plan
		for _, t := range trigs {
			e := entries[t.stream]
			if e.run.Status != evaluationrun.StatusEvaluated {
				continue
			}
			req := &e.run.Request
			k := runKey{req.StrategyID, req.RunID}
			tv, ok := x.index.viewOf(t.world, t.stream)
			if !ok {
				tv = targetView(e.run)
			}
			ck := cohortKey{tv.Stage, tv.CampaignID}
			p := plans[ck]
			if p == nil {
				shared := &cohortGroup{stage: tv.Stage, campaign: tv.CampaignID, loaded: map[runKey]*runEntry{}}
				p = &plan{shared: shared, latest: map[runKey]bool{}}
				for _, v := range cohortOf(views, shared, nil) {
					p.latest[runKey{v.StrategyID, v.RunID}] = true
				}
				plans[ck] = p
				order = append(order, p)
			}
			if s := p.shared; p.latest[k] && s.loaded[k] == nil {
				s.targets, s.trigs = append(s.targets, tv), append(s.trigs, t.trig)
				s.loaded[k] = e
				continue
			}
			p.alone = append(p.alone, p.shared.alone(tv, t.trig, e))
		}
		var groups []*cohortGroup
		for _, p := range order {
			if len(p.shared.targets) > 0 {
				groups = append(groups, p.shared)
			}
			groups = append(groups, p.alone...)
		}
		return groups, nil
	}
}
