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
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
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
// derives the metrics, resolves the world's policy (the version the
// submission names, else the world's default), evaluates the rules and
// appends MetricsComputed, one RuleEvaluated per rule and EvaluationCompleted
// to the run's stream in one atomic append. Its completion key is derived from
// the run, so a re-delivered submission appends nothing.
type Evaluator struct {
	repo     *aggregates.Repository
	reg      *events.Registry
	now      func() time.Time
	baseline BaselineSource
	observer EvaluatorObserver
	// failClosed says which worlds are evaluated fail-closed (§6.7); see
	// failclosed.go.
	failClosed FailClosedSource
	// policies keeps parsed policy versions (policy_cache.go).
	policies *policyCache
}

// EvaluatorOption configures an [Evaluator].
type EvaluatorOption func(*Evaluator)

// WithClock sets the clock that stamps the completion's occurred_at
// (default time.Now).
func WithClock(now func() time.Time) EvaluatorOption { return func(e *Evaluator) { e.now = now } }

// WithBaselines sets where paper and shadow runs find their backtest
// baseline. Without one, paper/shadow enrichment is skipped.
func WithBaselines(b BaselineSource) EvaluatorOption { return func(e *Evaluator) { e.baseline = b } }

// WithObserver sets who hears about recorded verdicts.
func WithObserver(o EvaluatorObserver) EvaluatorOption { return func(e *Evaluator) { e.observer = o } }

// NewEvaluator returns an evaluator that reads and appends through repo.
func NewEvaluator(repo *aggregates.Repository, opts ...EvaluatorOption) (*Evaluator, error) {
	if repo == nil {
		return nil, errors.New("new evaluator: nil repository")
	}
	e := &Evaluator{repo: repo, reg: repo.Registry(), now: time.Now, failClosed: WorldSettingsFailClosed{Repo: repo}, policies: newPolicyCache(repo)}
	for _, o := range opts {
		o(e)
	}
	return e, nil
}

// Name is the evaluator's subscription name.
func (e *Evaluator) Name() string { return EvaluatorName }

// Handle evaluates the run a stored EvaluationRunSubmitted created; every
// other event is ignored. It returns an error only when the store fails, so
// the runner retries from its checkpoint; a run that cannot be evaluated (no
// policy, an unknown policy version, bad parameters) is completed with a
// failing verdict whose note says why.
func (e *Evaluator) Handle(ctx context.Context, rec events.Record) error {
	if rec.Type != events.TypeEvaluationRunSubmitted {
		return nil
	}
	sub, err := events.DecodeAs[events.EvaluationRunSubmitted](e.reg, &rec.Event)
	if err != nil {
		return fmt.Errorf("evaluator: %w", err)
	}
	// The run is read once, inside Update: a re-delivered submission (after
	// a crash, the checkpoint lags the work) costs one wasted decision, where
	// a check before deciding would cost every run a second read.
	cmd, err := e.decide(ctx, sub, &rec)
	if err != nil {
		return err
	}
	res, err := aggregates.Update(ctx, e.repo, rec.Stream, func(run *evaluationrun.Run) ([]events.Event, error) {
		if run.Status == evaluationrun.StatusEvaluated {
			return nil, nil // already decided: a re-delivery
		}
		return run.Complete(e.reg, cmd)
	})
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
	if req.FailClosed, err = e.failClosed.FailClosed(ctx, sub.WorldID); err != nil {
		return evaluationrun.Complete{}, fmt.Errorf("evaluator: fail-closed enforcement of %s: %w", rec.Stream, err)
	}
	res, version, note, err := e.resolve(ctx, sub)
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

// resolve finds the policy a submission is evaluated under. A world without a
// policy, or a submission naming a version the world does not have, yields a
// nil policy and the note the verdict records.
func (e *Evaluator) resolve(ctx context.Context, sub *events.EvaluationRunSubmitted) (policy.Resolved, int, string, error) {
	stream, err := events.PolicyStream(sub.WorldID)
	if err != nil {
		return policy.Resolved{}, 0, "E_VALIDATION: " + err.Error(), nil
	}
	snap, err := aggregates.Load[worldpolicy.Policy](ctx, e.repo, stream)
	if err != nil {
		return policy.Resolved{}, 0, "", fmt.Errorf("evaluator: load %s: %w", stream, err)
	}
	version := sub.PolicyVersion
	if version == 0 {
		version = snap.State.DefaultVersion()
	}
	if version == 0 {
		return policy.Resolved{}, 0, "E_POLICY_INVALID: invalid policy: world has no policy; the run was not evaluated against any rule and fails closed", nil
	}
	doc, ok := snap.State.Document(version)
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
