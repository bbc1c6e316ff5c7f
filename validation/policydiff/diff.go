package policydiff

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

// DefaultFailImpactRatio is the default CI gate (validation-core §11.4).
const DefaultFailImpactRatio = 0.05

// manualReviewRatio is the impact ratio above which reports flag the diff
// for manual review (§11.4).
const manualReviewRatio = 0.05

// DefaultTopOffenders is how many offenders a report lists (§11.6).
const DefaultTopOffenders = 20

// Run is one stored run to re-evaluate.
type Run struct {
	// StrategyID identifies the strategy; a run without one is skipped
	// (§11.1).
	StrategyID string
	// RunID identifies the run; it is part of the key when every run is
	// kept.
	RunID string
	// Metrics is the metrics document the run was evaluated on (for a
	// stored run, its recorded metrics; for a run file, the output of
	// evaluation.Metrics). It is read, never modified, and only to
	// flatten it: it may be nil when Flat is given.
	Metrics map[string]any
	// Flat carries metrics.Flatten(Metrics); Diff computes it when nil.
	// It must not be modified afterwards.
	Flat *metrics.Flat
}

// Policy is one side of the diff.
type Policy struct {
	// Policy is the parsed policy.
	Policy *policy.Policy
	// Version is the version label reported and recorded as
	// policy_version ("" = null).
	Version string
}

// Options configure [Diff].
type Options struct {
	// Stage is the stage both policies are evaluated for ("" = none).
	Stage string
	// FailImpactRatio is the gate threshold: the gate fails when the impact
	// ratio is ≥ it. Zero is a valid threshold (every diff fails); use
	// [DefaultFailImpactRatio] for the CI default.
	FailImpactRatio float64
	// KeyByRun keeps every run, keyed strategy@run_id, instead of the last
	// run per strategy (§11.6).
	KeyByRun bool
	// Workers bounds the goroutines that flatten metrics and compare
	// results; 0 means GOMAXPROCS.
	Workers int
	// TopOffenders is how many offenders to list; 0 means
	// [DefaultTopOffenders], a negative value none.
	TopOffenders int
	// Now is the report timestamp.
	Now time.Time
	// Progress, when not nil, is called from the goroutine running Diff as
	// each phase advances; it must be cheap.
	Progress func(Progress)
}

// Progress reports how far a diff has come.
type Progress struct {
	// Phase is "flatten", "evaluate" or "compare".
	Phase string
	// Done and Total count runs within the phase.
	Done, Total int
}

// Diff evaluates runs under both policies and compares the outcomes
// (validation-core §11). Runs without a strategy id are skipped; a later run
// with the same key replaces an earlier one, keeping the earlier one's
// position. It fails only when ctx is done or an argument is invalid.
func Diff(ctx context.Context, oldP, newP Policy, runs []Run, opt Options) (Report, error) {
	if oldP.Policy == nil || newP.Policy == nil {
		return Report{}, errors.New("policy diff: nil policy")
	}
	if math.IsNaN(opt.FailImpactRatio) || opt.FailImpactRatio < 0 {
		return Report{}, fmt.Errorf("policy diff: fail impact ratio %v is not a number ≥ 0", opt.FailImpactRatio)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	progress := opt.Progress
	if progress == nil {
		progress = func(Progress) {}
	}
	set := dedupe(runs, opt.KeyByRun)
	var (
		oldHead, newHead rules.SetOutcome
		diffs            []StrategyDiff
		err              error
	)
	if setIndependent(oldP.Policy, opt.Stage) && setIndependent(newP.Policy, opt.Stage) {
		oldHead, newHead, diffs, err = diffByChunks(ctx, oldP, newP, set, opt.Stage, workers, progress)
	} else {
		oldHead, newHead, diffs, err = diffWholeSet(ctx, oldP, newP, set, opt.Stage, workers, progress)
	}
	if err != nil {
		return Report{}, err
	}
	return summarize(oldP, newP, &oldHead, &newHead, diffs, opt), nil
}

// setIndependent reports whether a strategy's outcome under p at stage
// depends on its own metrics alone: no top-k ranking, cohort or live
// monitoring, which act across the set. (Correlation needs correlations,
// which a diff does not have, and hysteresis without a previously active
// set tests each strategy against the entry bar.) Such a policy can be
// evaluated over any partition of the set with the same result per
// strategy.
func setIndependent(p *policy.Policy, stage string) bool {
	m := p.Materialize(stage, false)
	return m.TopK == nil && m.Cohort == nil && m.LiveMonitoring == nil
}

// chunkSize is how many strategies one set evaluation of the chunked path
// covers: large enough to amortize the per-evaluation set-up, small enough
// that a chunk's flat tables stay in cache between the two policies.
const chunkSize = 256

// diffByChunks evaluates and compares the set chunk by chunk on at most
// workers goroutines: each chunk is flattened, evaluated under the old and
// the new policy while its flat tables are hot, and compared, and its
// outcomes are dropped at once. It is exact only for set-independent
// policies.
func diffByChunks(ctx context.Context, oldP, newP Policy, set []keyed, stage string, workers int,
	progress func(Progress)) (rules.SetOutcome, rules.SetOutcome, []StrategyDiff, error) {
	oldHead := rules.EvaluateSet(oldP.Policy, rules.SetInput{Stage: stage, PolicyVersion: oldP.Version})
	newHead := rules.EvaluateSet(newP.Policy, rules.SetInput{Stage: stage, PolicyVersion: newP.Version})
	oldStage, newStage := optString(oldHead.RecommendedStage), optString(newHead.RecommendedStage)
	diffs := make([]StrategyDiff, len(set))
	total := len(set)
	progress(Progress{Phase: "evaluate", Total: total})
	var done int
	var mu sync.Mutex
	err := parallelChunks(ctx, total, workers, chunkSize, func(lo, hi int) {
		cands := make([]rules.Candidate, 0, hi-lo)
		for i := lo; i < hi; i++ {
			k := &set[i]
			if k.run.Flat == nil {
				k.run.Flat = metrics.Flatten(k.run.Metrics)
			}
			k.run.Metrics = nil
			cands = append(cands, rules.Candidate{StrategyID: k.key, Flat: k.run.Flat})
		}
		o := rules.EvaluateSet(oldP.Policy, rules.SetInput{Stage: stage, PolicyVersion: oldP.Version, Candidates: cands})
		n := rules.EvaluateSet(newP.Policy, rules.SetInput{Stage: stage, PolicyVersion: newP.Version, Candidates: cands})
		for j := range cands {
			i := lo + j
			d := compare(&o.Strategies[j].Outcome, &n.Strategies[j].Outcome)
			d.Key, d.StrategyID, d.RunID = set[i].key, set[i].run.StrategyID, set[i].run.RunID
			d.OldRecommendedStage, d.NewRecommendedStage = oldStage, newStage
			d.HasChanges = d.HasChanges || !equalPtr(oldStage, newStage)
			diffs[i] = d
		}
		mu.Lock()
		done += hi - lo
		progress(Progress{Phase: "evaluate", Done: done, Total: total})
		mu.Unlock()
	})
	if err != nil {
		return oldHead, newHead, nil, fmt.Errorf("policy diff: %w", err)
	}
	return oldHead, newHead, diffs, nil
}

// diffWholeSet evaluates each policy once over the whole set (two
// goroutines), as top-k, cohort and live monitoring require, then compares.
func diffWholeSet(ctx context.Context, oldP, newP Policy, set []keyed, stage string, workers int,
	progress func(Progress)) (rules.SetOutcome, rules.SetOutcome, []StrategyDiff, error) {
	var oldOut, newOut rules.SetOutcome
	if err := flattenAll(ctx, set, workers, progress); err != nil {
		return oldOut, newOut, nil, err
	}
	// The rules read the flat table; the document only feeds validation
	// health and a paper/shadow detail, which a diff does not report, so it
	// is not passed (nor kept alive for the collector to trace).
	cands := make([]rules.Candidate, len(set))
	for i := range set {
		cands[i] = rules.Candidate{StrategyID: set[i].key, Flat: set[i].run.Flat}
	}
	progress(Progress{Phase: "evaluate", Total: len(set)})
	var wg sync.WaitGroup
	wg.Go(func() {
		oldOut = rules.EvaluateSet(oldP.Policy, rules.SetInput{Stage: stage, PolicyVersion: oldP.Version, Candidates: cands})
	})
	newOut = rules.EvaluateSet(newP.Policy, rules.SetInput{Stage: stage, PolicyVersion: newP.Version, Candidates: cands})
	wg.Wait()
	progress(Progress{Phase: "evaluate", Done: len(set), Total: len(set)})
	if err := ctx.Err(); err != nil {
		return oldOut, newOut, nil, fmt.Errorf("policy diff: %w", err)
	}
	diffs := compareAll(ctx, set, &oldOut, &newOut, workers, progress)
	if err := ctx.Err(); err != nil {
		return oldOut, newOut, nil, fmt.Errorf("policy diff: %w", err)
	}
	return oldOut, newOut, diffs, nil
}

// keyed is a deduplicated run with its diff key.
type keyed struct {
	key string
	run Run
}

// dedupe drops runs without a strategy and keeps, per key, the first
// position and the last run.
func dedupe(runs []Run, byRun bool) []keyed {
	out := make([]keyed, 0, len(runs))
	index := make(map[string]int, len(runs))
	for _, r := range runs {
		if r.StrategyID == "" {
			continue
		}
		k := r.StrategyID
		if byRun {
			k = r.StrategyID + "@" + r.RunID
		}
		if i, ok := index[k]; ok {
			out[i].run = r
			continue
		}
		index[k] = len(out)
		out = append(out, keyed{key: k, run: r})
	}
	return out
}

// flattenAll fills in the flat table of every run that lacks one, with at
// most workers goroutines.
func flattenAll(ctx context.Context, set []keyed, workers int, progress func(Progress)) error {
	total := len(set)
	progress(Progress{Phase: "flatten", Total: total})
	err := parallel(ctx, total, workers, func(i int) {
		if set[i].run.Flat == nil {
			set[i].run.Flat = metrics.Flatten(set[i].run.Metrics)
		}
		set[i].run.Metrics = nil
	})
	if err != nil {
		return fmt.Errorf("policy diff: flatten: %w", err)
	}
	progress(Progress{Phase: "flatten", Done: total, Total: total})
	return nil
}

// parallel calls fn(i) for every i in [0, n) on at most workers
// goroutines and stops once ctx is done.
func parallel(ctx context.Context, n, workers int, fn func(i int)) error {
	return parallelChunks(ctx, n, workers, 256, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			fn(i)
		}
	})
}

// parallelChunks calls fn on consecutive chunks [lo, hi) of [0, n), at
// most size long, on at most workers goroutines, and stops handing out
// chunks once ctx is done.
func parallelChunks(ctx context.Context, n, workers, size int, fn func(lo, hi int)) error {
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	claim := func() (int, int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n || ctx.Err() != nil {
			return 0, 0, false
		}
		lo := next
		next = min(n, next+size)
		return lo, next, true
	}
	for range min(workers, max(1, (n+size-1)/size)) {
		wg.Go(func() {
			for {
				lo, hi, ok := claim()
				if !ok {
					return
				}
				fn(lo, hi)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}
