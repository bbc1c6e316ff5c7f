package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/extended"
	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

// passEnv is what every cohort of one pass shares. The triggers are the
// targets' own (see [cohortGroup]).
type passEnv struct {
	world   string
	version int
	pol     *policy.Policy
	now     time.Time
	views   []runView
	// portfolio is the snapshot of the portfolio layer: the latest live
	// snapshot, else the latest of any stage (O12); data is the latest of
	// any stage, for realized returns and stress.
	portfolio, data *hubData
	failClosed      bool
	// settings are the policy's extended-layer settings over the
	// service's.
	settings passSettings
}

// snapshot returns the snapshot the pass records: the portfolio's, else
// the data's.
func (e *passEnv) snapshot() *events.RiskSnapshotRecorded {
	switch {
	case e.portfolio != nil:
		return e.portfolio.snap
	case e.data != nil:
		return e.data.snap
	}
	return nil
}

// passPlan returns the cohorts a pass evaluates, in the order it records
// them, with their targets loaded; views are the world's evaluated runs.
type passPlan func(ctx context.Context, views []runView) ([]*cohortGroup, error)

// runLister lists the runs of a world a pass works over: all its evaluated
// runs ([worldIndex.evaluated]) for a world-wide pass, which may pick older
// runs, or only the latest of each cohort slot ([worldIndex.current]) for
// the passes of run triggers, whose cohorts are the same over either.
type runLister func(ctx context.Context, world string) ([]runView, error)

// pass runs one extended pass of world as of global position at: the
// default policy at that position, the runs evaluated by then (the read
// model is awaited up to it), and the cohorts plan chooses — those of the
// runs of a segment of run triggers ([ExtendedValidator.HandleBatch]), or
// every cohort of the world (spec §3.1 with D15 and D16). A world without a
// default policy has nothing to be validated against: the pass does
// nothing.
//
// A cohort whose CohortEvaluated was recorded before (a re-delivery) under
// a key naming several triggers, but without some of its targets among the
// recorded members, is followed by a pass of each such target on its own,
// so that no target is dropped (see [ExtendedValidator.cohortPass]).
func (x *ExtendedValidator) pass(ctx context.Context, world string, at uint64, list runLister, plan passPlan) error {
	pol, version, err := x.policies.at(ctx, world, at)
	if err != nil || !hasLayers(pol) {
		return err
	}
	if x.wait != nil {
		wctx, cancel := context.WithTimeout(ctx, x.cfg.ReadModelTimeout)
		x.wait(wctx, at)
		cancel()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	views, err := list(ctx, world)
	if err != nil {
		return err
	}
	groups, err := plan(ctx, views)
	if err != nil || len(groups) == 0 {
		return err
	}
	env := &passEnv{world: world, version: version, pol: pol, now: x.now().UTC(), views: views, settings: x.cfg.settings(pol)}
	if err := x.loadSnapshots(ctx, env); err != nil {
		return err
	}
	if env.failClosed, err = x.settings.at(ctx, world, at); err != nil {
		return fmt.Errorf("fail-closed setting of %s: %w", world, err)
	}
	for i := 0; i < len(groups); i++ {
		g := groups[i]
		started := time.Now()
		n, followUps, err := x.cohortPass(ctx, env, g)
		if x.observer != nil {
			status := "success"
			switch {
			case err != nil:
				status = "failure"
			case n == 0:
				status = "no_updates"
			}
			x.observer.ExtendedPass(world, g.stage, status, time.Since(started))
		}
		if err != nil {
			return err
		}
		// Right after their group, so that a run's triggers are still
		// recorded in their order.
		groups = slices.Insert(groups, i+1, followUps...)
	}
	return nil
}

// hasLayers reports whether a policy configures any extended layer; a pass
// under one that does not produces no results and records nothing (spec
// §3.8: only runs that get extended results are recorded).
func hasLayers(p *policy.Policy) bool {
	return p != nil && (p.Cohort != nil || p.Portfolio != nil || p.Benchmark != nil || p.Stress != nil ||
		p.PaperShadowConsistency != nil || p.LiveMonitoring != nil)
}

// runKey identifies a run within its world.
type runKey struct{ strategy, run string }

// worldTargets returns the cohorts of a world-wide pass of trig at global
// position at, with their targets loaded: for every stage, the latest run of
// each strategy (D16) among the runs evaluated before the trigger, grouped
// by cohort — their campaign when they have one, else their stage. The
// latest run of a strategy usually qualifies; older ones are loaded only
// when it was evaluated after the trigger (a trigger handled again later).
// What a world-wide pass records on is decided as of the trigger, so a
// trigger handled again from an older checkpoint records on the same runs,
// which already hold its key; runs evaluated later get a pass of their own.
// Every target has trig as its trigger.
func (x *ExtendedValidator) worldTargets(ctx context.Context, world string, views []runView, at uint64, trig events.Trigger) ([]*cohortGroup, error) {
	type slot struct {
		stage      string
		candidates []runView // latest first
		chosen     int
		run        *runEntry
	}
	index := map[[2]string]*slot{}
	var slots []*slot
	for i := range views {
		v := views[i]
		k := [2]string{v.Stage, v.StrategyID}
		s := index[k]
		if s == nil {
			s = &slot{stage: v.Stage}
			index[k] = s
			slots = append(slots, s)
		}
		s.candidates = append(s.candidates, v)
	}
	for _, s := range slots {
		// Latest first by (updated_at, created_at); on a tie the later
		// submission first, as in latestPerStrategy.
		c := s.candidates
		slices.Reverse(c)
		sort.SliceStable(c, func(i, j int) bool {
			if c[i].UpdatedAt != c[j].UpdatedAt {
				return c[i].UpdatedAt > c[j].UpdatedAt
			}
			return c[i].CreatedAt > c[j].CreatedAt
		})
	}
	load := func(ctx context.Context, v *runView) (*runEntry, error) {
		stream, err := events.RunStream(world, v.StrategyID, v.RunID)
		if err != nil {
			return nil, err
		}
		e, err := x.cache.get(ctx, stream)
		if err != nil {
			return nil, err
		}
		if e.run.Status != evaluationrun.StatusEvaluated || e.run.EvaluatedPosition > at {
			return nil, nil
		}
		return e, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(x.cfg.Parallelism)
	for _, s := range slots {
		g.Go(func() error {
			for i := range s.candidates {
				r, err := load(gctx, &s.candidates[i])
				if err != nil {
					return err
				}
				if r != nil {
					s.chosen, s.run = i, r
					return nil
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// The cohorts share one map: a run that is a target of one cohort (its
	// campaign's) and a member of another (its stage's) is enriched from its
	// evaluated metrics in both.
	loaded := map[runKey]*runEntry{}
	groups := map[[2]string]*cohortGroup{}
	var order []*cohortGroup
	for _, s := range slots {
		if s.run == nil {
			continue
		}
		v := s.candidates[s.chosen]
		loaded[runKey{v.StrategyID, v.RunID}] = s.run
		k := [2]string{v.Stage, v.CampaignID}
		grp := groups[k]
		if grp == nil {
			grp = &cohortGroup{stage: v.Stage, campaign: v.CampaignID, loaded: loaded}
			groups[k] = grp
			order = append(order, grp)
		}
		grp.targets = append(grp.targets, v)
		grp.trigs = append(grp.trigs, trig)
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].stage != order[j].stage {
			return order[i].stage < order[j].stage
		}
		return order[i].campaign < order[j].campaign
	})
	for _, grp := range order {
		sortCohort(grp.targets) // every trigger is trig: trigs stay parallel
	}
	return order, nil
}

// loadSnapshots finds the pass's snapshots and resolves their references.
func (x *ExtendedValidator) loadSnapshots(ctx context.Context, env *passEnv) error {
	data, err := x.snapshots.Latest(ctx, env.world, "", env.now)
	if err != nil {
		return fmt.Errorf("latest snapshot of %s: %w", env.world, err)
	}
	live, err := x.snapshots.Latest(ctx, env.world, "live", env.now)
	if err != nil {
		return fmt.Errorf("latest live snapshot of %s: %w", env.world, err)
	}
	if data == nil {
		if x.observer != nil {
			x.observer.SnapshotMissing(env.world)
		}
		return nil
	}
	env.data = x.hubs.resolve(ctx, x.blobs, data)
	env.portfolio = env.data
	if live != nil && live != data {
		env.portfolio = x.hubs.resolve(ctx, x.blobs, live)
	}
	return nil
}

// targetView returns the view of a targeted run that its aggregate gives,
// for a run the index does not have evaluated yet.
func targetView(run *evaluationrun.Run) runView {
	req := &run.Request
	return runView{
		StrategyID: req.StrategyID, RunID: req.RunID, Stage: req.Stage, CampaignID: req.CampaignID,
		CreatedAt: run.SubmittedAt.Unix(), UpdatedAt: run.EvaluatedAt.Unix(), Active: run.Verdict.Active, id: noRun,
	}
}

// cohortPass evaluates one cohort and records its targets' results, each
// under its own trigger. It returns how many runs it recorded results on,
// and the passes that must follow: when the cohort's CohortEvaluated was
// recorded before under a key naming several triggers (a batch delivered
// again) and a target is not among the members recorded then, a pass of
// that target alone, keyed by its own trigger — the pass a delivery of its
// trigger alone would run — so that it is not dropped. A cohort of a single
// trigger skips such targets, as a world-wide pass always has: the runs of
// one pass are those of one cohort, and a run left out was evaluated after
// the trigger and gets a pass of its own.
func (x *ExtendedValidator) cohortPass(ctx context.Context, env *passEnv, g *cohortGroup) (int, []*cohortGroup, error) {
	if !rules.ExtendedLayersApply(env.pol, g.stage, env.failClosed) {
		return 0, nil, nil // no layer applies to this stage: nothing to enrich or record (§3.8)
	}
	views := cohortOf(env.views, g, g.targets)
	if len(views) == 0 {
		return 0, nil, nil
	}
	isTarget := make(map[runKey]int, len(g.targets))
	for i, t := range g.targets {
		isTarget[runKey{t.StrategyID, t.RunID}] = i + 1
	}
	ms := make([]*member, len(views))
	for i, v := range views {
		k := runKey{v.StrategyID, v.RunID}
		ms[i] = &member{view: v, entry: g.loaded[k]}
		if j := isTarget[k]; j > 0 {
			ms[i].target, ms[i].trig = true, g.trigs[j-1]
		}
	}
	pass, err := x.enrichment(ctx, env, ms)
	if err != nil {
		return 0, nil, err
	}
	if err := x.enrich(ctx, pass, ms); err != nil {
		return 0, nil, err
	}
	cands := make([]rules.Candidate, len(ms))
	for i, m := range ms {
		cands[i] = rules.Candidate{StrategyID: m.view.StrategyID, Metrics: m.enriched.Metrics, Flat: m.enriched.Flat}
	}
	out := rules.EvaluateSet(env.pol, rules.SetInput{
		Stage: g.stage, PolicyVersion: strconv.Itoa(env.version), FailClosed: env.failClosed, Candidates: cands,
	})
	results := postProcess(env.pol, env.settings, ms, out)
	if !slices.ContainsFunc(results, func(rs rules.Results) bool { return len(rs) > 0 }) {
		return 0, nil, nil // no layer applies to this stage: nothing to record (§3.8)
	}
	cc := newCohortStats(ms, results)
	recorded, err := x.recordCohort(ctx, env, g, cc)
	if err != nil {
		return 0, nil, err
	}
	n, left, err := x.recordTargets(ctx, env, ms, results, cc, recorded)
	if err != nil || len(left) == 0 || !g.coalesced() {
		return n, nil, err
	}
	followUps := make([]*cohortGroup, len(left))
	for i, m := range left {
		followUps[i] = g.alone(m.view, m.trig, m.entry)
	}
	return n, followUps, nil
}

// enrich enriches every member, spread over the processors: targets from
// their evaluated metrics (so that recording-time proxies are recomputed),
// the other members from their current metrics.
func (x *ExtendedValidator) enrich(ctx context.Context, pass *extended.Pass, ms []*member) error {
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, m := range ms {
		g.Go(func() error {
			run := extended.Run{StrategyID: m.view.StrategyID}
			switch {
			case m.entry != nil:
				base, err := m.entry.baseMetrics()
				if err != nil {
					return fmt.Errorf("run %s/%s: %w", m.view.StrategyID, m.view.RunID, err)
				}
				run.Metrics, run.Derivations = base, m.entry.run.Derivations
			default:
				doc, err := x.index.metrics(ctx, m.view)
				if err != nil {
					return fmt.Errorf("run %s/%s: %w", m.view.StrategyID, m.view.RunID, err)
				}
				run.Metrics = doc
			}
			m.enriched = pass.Enrich(run)
			return nil
		})
	}
	return g.Wait()
}

// enrichment builds the shared inputs of the enrichment of one cohort.
func (x *ExtendedValidator) enrichment(ctx context.Context, env *passEnv, ms []*member) (*extended.Pass, error) {
	p := &extended.Pass{Params: env.settings.params}
	ids := make([]string, len(ms))
	known := make(map[string]bool, len(env.views))
	for i, m := range ms {
		ids[i] = m.view.StrategyID
	}
	for i := range env.views {
		known[env.views[i].StrategyID] = true
	}
	if h := env.portfolio; h != nil && len(h.weights) > 0 {
		p.Hub = x.hub(h, ids, p.Params)
		p.Constraints = h.constraints
		for id := range h.weights {
			known[id] = true
		}
	}
	needPeers := p.Hub == nil
	if !needPeers {
		_, hasBaseline := p.Hub.Baseline()
		needPeers = !hasBaseline
	}
	if needPeers {
		var err error
		if p.Peers, p.Correlations, err = activePeers(ctx, x.index, env.views); err != nil {
			return nil, fmt.Errorf("fallback peers: %w", err)
		}
	}
	if d := env.data; d != nil {
		if d.realized != nil {
			p.Realized = d.realized.For
		}
		for id := range d.weights {
			known[id] = true
		}
		p.Stress = extended.ParseStress(d.stress, func(id string) bool { return known[id] })
	}
	return p, nil
}

// TopKByDSR is the [ExtendedConfig].TopKMetric (and the policy's
// cohort.top_k_metric) that ranks a cohort's top k by deflated Sharpe ratio
// (O3).
const TopKByDSR = policy.TopKMetricDSR

// postProcess returns each member's extended results, parallel to ms, with
// the risk-hub decisions applied under the pass's settings: D7
// aggregation, D26 details, the top k by deflated Sharpe when configured
// (O3), the extreme-Sharpe warning (O4) and the live ES gate (O18).
func postProcess(pol *policy.Policy, set passSettings, ms []*member, out rules.SetOutcome) []rules.Results {
	var topK []bool // the re-ranked selection (O3); nil: the rules' own
	reRank := set.topKMetric == TopKByDSR && pol.Cohort != nil && pol.Cohort.TopK != nil
	if reRank {
		values, has := make([]float64, len(ms)), make([]bool, len(ms))
		for i, m := range ms {
			values[i], has[i] = m.enriched.Flat.Lookup("deflated_sharpe_ratio")
		}
		topK = extended.TopK(values, has, *pol.Cohort.TopK)
	}
	var offenders []string
	var esSum float64
	esN := 0
	for _, m := range ms {
		if max := set.extremeSharpeMax; max != nil {
			if s, ok := m.enriched.Flat.Lookup("sharpe"); ok && s > *max {
				offenders = append(offenders, m.view.StrategyID)
			}
		}
		if es, ok := m.enriched.Flat.Lookup("live_es_p01"); ok {
			esSum += es
			esN++
		}
	}
	results := make([]rules.Results, len(ms))
	for i := range ms {
		so := &out.Strategies[i]
		var rs rules.Results
		for _, nr := range so.Validation.Results {
			if !extended.IsLayer(nr.Name) {
				continue
			}
			r := extended.Aggregate(nr.Result)
			switch nr.Name {
			case rules.Portfolio:
				r = extended.WithoutQMTLPortfolioKeys(r)
			case rules.Cohort:
				if reRank {
					var sel *bool
					if topK != nil {
						sel = &topK[i]
					}
					r = extended.WithTopK(r, TopKByDSR, sel)
				}
				if max := set.extremeSharpeMax; max != nil {
					r = extended.WithExtremeSharpe(r, *max, offenders)
				}
			case rules.LiveMonitoring:
				if max := set.liveESMax; max != nil {
					mean := 0.0
					if esN > 0 {
						mean = esSum / float64(esN)
					}
					r = extended.WithLiveES(r, *max, mean, esN > 0)
				}
			}
			rs = append(rs, rules.NamedResult{Name: nr.Name, Result: r})
		}
		results[i] = rs
	}
	return results
}

// secondsZ formats an instant in UTC with whole seconds and "Z" (spec
// §0.3), "" for the zero time.
func secondsZ(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// rawJSON encodes v, which the callers guarantee encodes.
func rawJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}
