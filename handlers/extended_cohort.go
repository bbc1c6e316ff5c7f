package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/extended"
)

// member is one run of a cohort.
type member struct {
	view runView
	// target is set for the runs the pass records results on; entry is
	// then the run's folded state, the source of its evaluated metrics,
	// and trig the trigger its result is recorded for.
	target bool
	entry  *runEntry
	trig   events.Trigger
	// enriched is the run after the extended enrichment.
	enriched extended.Enriched
}

// cohortGroup is one cohort of a pass and the runs it records: a stage
// cohort (the latest run per strategy of the stage, D15) or a campaign
// cohort (the latest run per strategy of the campaign).
type cohortGroup struct {
	stage, campaign string
	// targets are the runs the pass records on, at most one per run;
	// trigs, parallel, are the triggers their results are recorded for,
	// in global order for the targets of run triggers (a world-wide pass
	// gives every target the same one).
	targets []runView
	trigs   []events.Trigger
	// loaded holds the folded state of the targets (and, for a world-wide
	// pass, of the other cohorts' targets): a member found here is
	// enriched from its evaluated metrics, any other from its current
	// ones.
	loaded map[runKey]*runEntry
}

// alone returns the cohort of the same stage or campaign with target as
// its only target, recorded for trig.
func (g *cohortGroup) alone(target runView, trig events.Trigger, e *runEntry) *cohortGroup {
	return &cohortGroup{
		stage: g.stage, campaign: g.campaign, targets: []runView{target}, trigs: []events.Trigger{trig},
		loaded: map[runKey]*runEntry{{target.StrategyID, target.RunID}: e},
	}
}

// coalesced reports whether the group's targets have several triggers
// (run triggers passed together).
func (g *cohortGroup) coalesced() bool {
	for _, t := range g.trigs[1:] {
		if t.IdempotencyKey != g.trigs[0].IdempotencyKey {
			return true
		}
	}
	return false
}

// cohortTrigger returns the trigger the group's CohortEvaluated names — its
// last — and what its idempotency key ends with: that trigger's key when
// every target has it, else "batch:" and the first 32 hex digits of the
// SHA-256 of the targets' distinct trigger keys, sorted and NUL-separated.
// Coalesced triggers that are delivered together again (a batch after a
// crash) give the same key; grouped otherwise, another.
func (g *cohortGroup) cohortTrigger() (events.Trigger, string) {
	last := g.trigs[len(g.trigs)-1]
	if !g.coalesced() {
		return last, last.IdempotencyKey
	}
	keys := make([]string, 0, len(g.trigs))
	for _, t := range g.trigs {
		keys = append(keys, t.IdempotencyKey)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	return last, "batch:" + hex.EncodeToString(h.Sum(nil))[:32]
}

// later reports whether run a supersedes run b as its strategy's latest:
// later updated_at, then later created_at; on a tie the later submission (a,
// when a comes after b in submission order) wins, as for paper/shadow
// baselines.
func later(a, b *runView) bool {
	if a.UpdatedAt != b.UpdatedAt {
		return a.UpdatedAt > b.UpdatedAt
	}
	return a.CreatedAt >= b.CreatedAt
}

// latestPerStrategy returns the latest run of each strategy among the runs
// keep accepts, in cohort order (created_at ascending, then strategy id).
func latestPerStrategy(views []runView, keep func(*runView) bool) []runView {
	best := map[string]int{}
	for i := range views {
		v := &views[i]
		if !keep(v) {
			continue
		}
		if j, ok := best[v.StrategyID]; !ok || later(v, &views[j]) {
			best[v.StrategyID] = i
		}
	}
	out := make([]runView, 0, len(best))
	for _, i := range best {
		out = append(out, views[i])
	}
	sortCohort(out)
	return out
}

// sortCohort puts runs in cohort order: created_at ascending, then strategy
// id (the tie order of top-k, spec §3.4.1).
func sortCohort(vs []runView) {
	sort.SliceStable(vs, func(i, j int) bool {
		if vs[i].CreatedAt != vs[j].CreatedAt {
			return vs[i].CreatedAt < vs[j].CreatedAt
		}
		return vs[i].StrategyID < vs[j].StrategyID
	})
}

// cohortOf returns the cohort of a group (D15): the latest run per strategy
// of its campaign, or of its stage; forced runs (the group's targets)
// replace their strategy's latest run. The result is in cohort order.
func cohortOf(views []runView, g *cohortGroup, forced []runView) []runView {
	keep := func(v *runView) bool { return v.Stage == g.stage }
	if g.campaign != "" {
		keep = func(v *runView) bool { return v.CampaignID == g.campaign }
	}
	members := latestPerStrategy(views, keep)
	for _, f := range forced {
		replaced := false
		for i := range members {
			if members[i].StrategyID == f.StrategyID {
				members[i], replaced = f, true
			}
		}
		if !replaced {
			members = append(members, f)
		}
	}
	sortCohort(members)
	return members
}

// activePeers returns the fallback peers of a world (spec §3.5.3): the
// strategies whose latest run across all stages is active, with that run's
// Sharpe, incremental VaR/ES and drawdown, and the pairwise correlations
// those runs record (later runs overwriting).
func activePeers(ctx context.Context, ix *worldIndex, views []runView) ([]extended.Peer, extended.Correlations, error) {
	latest := latestPerStrategy(views, func(*runView) bool { return true })
	// Oldest first, so that later runs overwrite correlations.
	sort.SliceStable(latest, func(i, j int) bool {
		a, b := &latest[i], &latest[j]
		if a.UpdatedAt != b.UpdatedAt {
			return a.UpdatedAt < b.UpdatedAt
		}
		return a.CreatedAt < b.CreatedAt
	})
	corr := extended.Correlations{}
	var peers []extended.Peer
	for i := range latest {
		v := &latest[i]
		doc, err := ix.metrics(ctx, *v)
		if err != nil {
			return nil, nil, err
		}
		if doc == nil {
			continue
		}
		recordCorrelations(corr, doc)
		if !v.Active {
			continue
		}
		peers = append(peers, extended.Peer{
			ID: v.StrategyID, Weight: 1,
			Sharpe:           numberAt(doc, "returns", "sharpe"),
			IncrementalVaR99: numberAt(doc, "risk", "incremental_var_99"),
			IncrementalES99:  numberAt(doc, "risk", "incremental_es_99"),
			MaxDrawdown:      numberAt(doc, "returns", "max_drawdown"),
		})
	}
	return peers, corr, nil
}

// recordCorrelations reads diagnostics.extra_metrics.pairwise_correlations
// (else .correlations), keyed "a:b".
func recordCorrelations(corr extended.Correlations, doc map[string]any) {
	for _, key := range [...]string{"pairwise_correlations", "correlations"} {
		m, ok := valueAt(doc, "diagnostics", "extra_metrics", key).(map[string]any)
		if !ok {
			continue
		}
		for pair, v := range m {
			rho, ok := v.(float64)
			if !ok {
				continue
			}
			for i := 0; i < len(pair); i++ {
				if pair[i] == ':' {
					corr.Set(pair[:i], pair[i+1:], rho)
					break
				}
			}
		}
		return
	}
}

// valueAt returns the value at a path of nested objects, nil when absent.
func valueAt(doc map[string]any, path ...string) any {
	var cur any = doc
	for _, seg := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[seg]
	}
	return cur
}

// numberAt returns the finite number at a path, nil when absent.
func numberAt(doc map[string]any, path ...string) *float64 {
	v, ok := valueAt(doc, path...).(float64)
	if !ok {
		return nil
	}
	return &v
}
