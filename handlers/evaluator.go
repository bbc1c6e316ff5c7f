// Package handlers holds worldval's event-driven workers. Each is an
// idempotent [eventstore.Handler] run by the processor's subscription runner
// from its own checkpoint, so re-running one over events it has seen appends
// nothing.
package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
	"golang.org/x/sync/errgroup"
)

// EvaluatorName is the subscription name (and checkpoint key) of the
// evaluator.
const EvaluatorName = "evaluator"

// BaselineSource finds the stored backtest run a paper or shadow run is
// compared with (validation-core §4.7.2). It returns nil when there is none.
type BaselineSource interface {
	LatestBacktest(ctx context.Context, world, strategy string) (*metrics.Baseline, error)
}

// EvaluatorObserver is told about every verdict the evaluator records, for
// metrics. Implementations must be safe for concurrent use and fast.
type EvaluatorObserver interface {
	// Evaluated reports a recorded verdict and the time from submission to
	// verdict.
	Evaluated(verdict string, latency time.Duration)
}

// Evaluator turns each EvaluationRunSubmitted into the run's verdict: it
// derives the metrics, resolves the world's policy as of the submission's
// global position (the version the submission names, else the world's
// default then), evaluates the rules and appends MetricsComputed, one
// RuleEvaluated per rule and EvaluationCompleted to the run's stream in one
// atomic append. Its completion key is derived from the run, so a
// re-delivered submission appends nothing.
//
// It is a batch worker: [Evaluator.HandleBatch] evaluates the submissions of
// a batch concurrently, so that their appends share the store's commits.
// It keeps the worlds' policies and fail-closed settings and learns of their
// changes from the events it is handed, so it must be handed every event of
// the store in global order, as the runner does.
type Evaluator struct {
	repo     *aggregates.Repository
	reg      *events.Registry
	now      func() time.Time
	baseline BaselineSource
	observer EvaluatorObserver
	// failClosed says which worlds are evaluated fail-closed (§6.7); see
	// failclosed.go.
	failClosed FailClosedSource
	// settings, when failClosed is a [WorldSettingsFailClosed], answers it
	// as of each submission's position from kept world streams.
	settings *failClosedCache
	// policies keeps the worlds' policy streams and parsed policy versions
	// (policy_cache.go).
	policies *policyCache
	// parallel bounds how many submissions of a batch are decided at once.
	parallel int
}

// EvaluatorOption configures an [Evaluator].
type EvaluatorOption func(*Evaluator)

// WithClock sets the clock that stamps the completion's occurred_at
// (default time.Now). A batch calls it from several goroutines, so it must
// be safe for concurrent use.
func WithClock(now func() time.Time) EvaluatorOption { return func(e *Evaluator) { e.now = now } }

// WithBaselines sets where paper and shadow runs find their backtest
// baseline. Without one, paper/shadow enrichment is skipped. A batch asks
// it from several goroutines, so it must be safe for concurrent use.
func WithBaselines(b BaselineSource) EvaluatorOption { return func(e *Evaluator) { e.baseline = b } }

// WithObserver sets who hears about recorded verdicts.
func WithObserver(o EvaluatorObserver) EvaluatorOption { return func(e *Evaluator) { e.observer = o } }

// WithParallelism sets how many submissions of a batch are decided (metrics,
// policy, rules) at once; n < 1 keeps the default, twice GOMAXPROCS. The
// appends of a batch's decided submissions are not limited by it: they wait
// for the store's commit together, whatever their number (at most a batch).
func WithParallelism(n int) EvaluatorOption {
	return func(e *Evaluator) {
		if n >= 1 {
			e.parallel = n
		}
	}
}

// NewEvaluator returns an evaluator that reads and appends through repo.
func NewEvaluator(repo *aggregates.Repository, opts ...EvaluatorOption) (*Evaluator, error) {
	if repo == nil {
		return nil, errors.New("new evaluator: nil repository")
	}
	e := &Evaluator{
		repo: repo, reg: repo.Registry(), now: time.Now, failClosed: WorldSettingsFailClosed{Repo: repo},
		policies: newPolicyCache(repo), parallel: 2 * runtime.GOMAXPROCS(0),
	}
	for _, o := range opts {
		o(e)
	}
	if ws, ok := e.failClosed.(WorldSettingsFailClosed); ok && ws.Repo != nil {
		e.settings = newFailClosedCache(ws.Repo)
	}
	return e, nil
}

// Name is the evaluator's subscription name.
func (e *Evaluator) Name() string { return EvaluatorName }

// Handle evaluates the run a stored EvaluationRunSubmitted created; see
// [Evaluator.HandleBatch], of which it is the one-event form.
func (e *Evaluator) Handle(ctx context.Context, rec events.Record) error {
	return e.HandleBatch(ctx, []events.Record{rec})
}

// HandleBatch evaluates the runs the batch's EvaluationRunSubmitted events
// created, each under the policy and fail-closed settings of its world as
// of its own global position (the policy and world events of the batch
// before it count, those after it do not); every other event only keeps
// those current. The submissions are decided concurrently (see
// [WithParallelism]) and their completions appended together, so the store
// commits them in a few transactions instead of one each; the order of the
// completions in the global stream is therefore not the submissions'.
//
// It returns an error only when the store fails (or ctx ends), so the
// runner delivers the batch again; a run that cannot be evaluated (no
// policy, an unknown policy version, bad parameters) is completed with a
// failing verdict whose note says why. Every submission is idempotent: one
// already evaluated appends nothing.
func (e *Evaluator) HandleBatch(ctx context.Context, recs []events.Record) error {
	var subs []*events.Record
	for i := range recs {
		rec := &recs[i]
		// Every policy and settings change of the batch is known before any
		// submission is decided; each look-up then picks what held at its
		// submission's position.
		e.policies.observe(rec)
		if e.settings != nil {
			e.settings.observe(rec)
		}
		if rec.Type == events.TypeEvaluationRunSubmitted {
			subs = append(subs, rec)
		}
	}
	switch len(subs) {
	case 0:
		return nil
	case 1:
		return e.evaluate(ctx, subs[0], nil)
	}
	// One goroutine per submission, so that every decided completion waits
	// for the store's commit at the same time; deciding, the part that uses
	// a CPU, is bounded by sem.
	sem := make(chan struct{}, e.parallel)
	g, gctx := errgroup.WithContext(ctx)
	for _, rec := range subs {
		g.Go(func() error { return e.evaluate(gctx, rec, sem) })
	}
	return g.Wait()
}

// evaluate decides one submission and records the completion; sem, when
// not nil, bounds the deciding.
func (e *Evaluator) evaluate(ctx context.Context, rec *events.Record, sem chan struct{}) error {
	if sem != nil {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("evaluator: %s: %w", rec.Stream, context.Cause(ctx))
		}
	}
	sub, cmd, err := e.decideRecord(ctx, rec, 0)
	if sem != nil {
		<-sem
	}
	if err != nil {
		return err
	}
	res, err := e.complete(ctx, rec, sub, cmd)
	if err != nil {
		return fmt.Errorf("evaluator: complete %s: %w", rec.Stream, err)
	}
	if res.Duplicate {
		return nil
	}
	if e.observer != nil {
		e.observer.Evaluated(cmd.Verdict.Status, cmd.Meta.OccurredAt.Sub(rec.OccurredAt))
	}
	return nil
}

// decideRecord decodes a stored submission and decides its completion; it
// is the one decision path of [Evaluator.HandleBatch] and [Evaluator.Decide].
// policyVersion, when not 0, replaces the version the submission asks for
// in the decision; the submission returned is the stored one.
func (e *Evaluator) decideRecord(ctx context.Context, rec *events.Record, policyVersion int) (*events.EvaluationRunSubmitted, evaluationrun.Complete, error) {
	sub, err := events.DecodeAs[events.EvaluationRunSubmitted](e.reg, &rec.Event)
	if err != nil {
		return nil, evaluationrun.Complete{}, fmt.Errorf("evaluator: %w", err)
	}
	asked := sub
	if policyVersion != 0 && policyVersion != sub.PolicyVersion {
		pinned := *sub
		pinned.PolicyVersion = policyVersion
		asked = &pinned
	}
	cmd, err := e.decide(ctx, asked, rec)
	return sub, cmd, err
}

// complete appends the completion cmd of the run rec submitted. When the
// submission is the first event of its stream, the run is folded from it
// alone and the completion appended expecting the stream to hold nothing
// else: the common case costs no read. When the stream has moved on (an
// annotation, the completion itself on a re-delivery), the append is
// refused, or reported a duplicate when it is this very completion, and the
// run is completed through [aggregates.Update], which reads the stream and
// decides nothing for a run already evaluated.
func (e *Evaluator) complete(ctx context.Context, rec *events.Record, sub *events.EvaluationRunSubmitted, cmd evaluationrun.Complete) (eventstore.AppendResult, error) {
	if rec.StreamVersion == 1 {
		var run evaluationrun.Run
		if err := run.Apply(rec, sub); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("fold the submission: %w", err)
		}
		evs, err := run.Complete(e.reg, cmd)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		res, err := e.repo.Store().Append(ctx, rec.Stream, eventstore.Exact(rec.StreamVersion), evs...)
		switch {
		case err == nil:
			return res, nil
		case !errors.Is(err, eventstore.ErrWrongExpectedVersion) && !errors.Is(err, eventstore.ErrDuplicateEventID):
			return eventstore.AppendResult{}, err
		}
		// ErrDuplicateEventID: part of this completion is stored, which
		// only a completion decided differently before can cause (another
		// build, a baseline that changed since); the stream then says the
		// run is evaluated.
	}
	return aggregates.Update(ctx, e.repo, rec.Stream, func(run *evaluationrun.Run) ([]events.Event, error) {
		if run.Status == evaluationrun.StatusEvaluated {
			return nil, nil // already decided: a re-delivery
		}
		return run.Complete(e.reg, cmd)
	})
}

// decide builds the completion of one submission.
func (e *Evaluator) decide(ctx context.Context, sub *events.EvaluationRunSubmitted, rec *events.Record) (evaluationrun.Complete, error) {
	meta := events.Meta{
		IdempotencyKey: "evaluation_completed:" + rec.Stream,
		OccurredAt:     e.now().UTC(),
		Actor:          EvaluatorName,
		CorrelationID:  rec.CorrelationID,
		CausationID:    rec.ID,
	}
	req, err := request(sub)
	if err != nil {
		return failed(meta, nil, nil, 0, "E_VALIDATION: "+err.Error()), nil
	}
	if e.baseline != nil {
		switch policy.NormStage(sub.Stage) {
		case "paper", "shadow":
			b, err := e.baseline.LatestBacktest(ctx, sub.WorldID, sub.StrategyID)
			if err != nil {
				return evaluationrun.Complete{}, fmt.Errorf("evaluator: baseline of %s: %w", rec.Stream, err)
			}
			req.Baseline = b
		}
	}
	if req.FailClosed, err = e.isFailClosed(ctx, sub.WorldID, rec.GlobalPosition); err != nil {
		return evaluationrun.Complete{}, fmt.Errorf("evaluator: fail-closed enforcement of %s: %w", rec.Stream, err)
	}
	res, version, note, err := e.resolve(ctx, sub, rec.GlobalPosition)
	if err != nil {
		return evaluationrun.Complete{}, err
	}
	if res.Policy == nil {
		doc, derivations, err := evaluation.Metrics(req)
		if err != nil {
			return failed(meta, nil, nil, version, "E_VALIDATION: "+err.Error()), nil
		}
		return failed(meta, doc, derivations, version, note), nil
	}
	run, err := evaluation.Evaluate(res, req)
	if err != nil {
		return failed(meta, nil, nil, version, "E_VALIDATION: "+err.Error()), nil
	}
	return completion(meta, run, version)
}

// isFailClosed reports whether world is evaluated fail-closed for a
// submission at global position at.
func (e *Evaluator) isFailClosed(ctx context.Context, world string, at uint64) (bool, error) {
	if e.settings != nil {
		return e.settings.at(ctx, world, at)
	}
	return e.failClosed.FailClosed(ctx, world)
}

// resolve finds the policy a submission at global position at is evaluated
// under: the version it names, else the world's default then, as the
// world's policy stream stood at that position. A world without a policy
// then, or a submission naming a version the world did not have then (even
// one published later), yields a nil policy and the note the verdict
// records.
func (e *Evaluator) resolve(ctx context.Context, sub *events.EvaluationRunSubmitted, at uint64) (policy.Resolved, int, string, error) {
	stream, err := events.PolicyStream(sub.WorldID)
	if err != nil {
		return policy.Resolved{}, 0, "E_VALIDATION: " + err.Error(), nil
	}
	doc, version, ok, err := e.policies.document(ctx, sub.WorldID, at, sub.PolicyVersion)
	if err != nil {
		return policy.Resolved{}, 0, "", fmt.Errorf("evaluator: load %s: %w", stream, err)
	}
	if version == 0 {
		return policy.Resolved{}, 0, "E_POLICY_INVALID: invalid policy: world has no policy; the run was not evaluated against any rule and fails closed", nil
	}
	if !ok {
		return policy.Resolved{}, version, fmt.Sprintf("E_POLICY_VERSION_NOT_FOUND: world %s has no policy version %d; the run fails closed", sub.WorldID, version), nil
	}
	p, err := e.policies.parse(policyID{sub.WorldID, version}, doc)
	if err != nil {
		// A stored policy passed the same parser when it was published; if
		// it no longer does, this build disagrees with history. Fail closed
		// and say so rather than stall the subscription.
		return policy.Resolved{}, version, fmt.Sprintf("E_POLICY_INVALID: stored policy version %d no longer parses: %v", version, err), nil
	}
	res, err := policy.Resolve(nil, p, version)
	if err != nil {
		return policy.Resolved{}, version, "E_POLICY_INVALID: " + err.Error(), nil
	}
	return res, version, "", nil
}

// request turns a stored submission into the pipeline's input.
func request(sub *events.EvaluationRunSubmitted) (evaluation.Request, error) {
	req := evaluation.Request{
		WorldID: sub.WorldID, StrategyID: sub.StrategyID, RunID: sub.RunID,
		Stage: sub.Stage, RiskTier: sub.RiskTier,
	}
	if len(sub.Metrics) > 0 && string(sub.Metrics) != "null" {
		if err := json.Unmarshal(sub.Metrics, &req.Metrics); err != nil {
			return req, fmt.Errorf("metrics: %w", err)
		}
	}
	if sub.Returns != nil {
		req.HasReturns = true
		req.Returns = make([]float64, 0, len(sub.Returns))
		for _, r := range sub.Returns {
			if r != nil {
				req.Returns = append(req.Returns, *r)
			}
		}
	}
	if len(sub.Params) > 0 && string(sub.Params) != "null" {
		var p struct {
			PeriodsPerYear  float64 `json:"periods_per_year"`
			RiskFreeRate    float64 `json:"risk_free_rate"`
			TransactionCost float64 `json:"transaction_cost"`
		}
		if err := json.Unmarshal(sub.Params, &p); err != nil {
			return req, fmt.Errorf("params: %w", err)
		}
		req.Params = metrics.Params{PeriodsPerYear: p.PeriodsPerYear, RiskFreeRate: p.RiskFreeRate, TransactionCost: p.TransactionCost}
	}
	return req, nil
}
