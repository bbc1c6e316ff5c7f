// Package evaluation is the single-run validation pipeline: from a submitted
// metrics document and return series, under a resolved policy, to the
// evaluated run — metrics, rule results, verdict and validation health. It
// orders the steps exactly as validation-core §4.11 says and is shared by the
// evaluator handler, the offline `worldval evaluate` command and the policy
// diff, so every path gives the same verdict for the same input.
//
// The package is pure: no I/O, no clocks, no randomness.
package evaluation

import (
	"fmt"
	"strings"

	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

// Request is one strategy's run to evaluate.
type Request struct {
	WorldID    string
	StrategyID string
	RunID      string
	// Stage is the request stage as given; "" means none (recorded as
	// backtest).
	Stage string
	// RiskTier is the run's risk tier label, informational.
	RiskTier string
	// Metrics is the submitted metrics document (EvaluationMetrics blocks or
	// a flat object); nil means none. It is not modified.
	Metrics map[string]any
	// Returns is the per-period return series, already decoded; it is used
	// only when HasReturns is true.
	Returns    []float64
	HasReturns bool
	// Params are the series derivation parameters.
	Params metrics.Params
	// Baseline is the stored backtest run a paper or shadow run is compared
	// with (§4.7.2), when the caller found one.
	Baseline *metrics.Baseline
	// FailClosed forces on_error and on_missing_metric to fail (high-tier
	// critical worlds, §6.7).
	FailClosed bool
}

// Run is an evaluated run: the JSON document `worldval evaluate` prints and
// the content of the evaluator's events.
type Run struct {
	WorldID          string           `json:"world_id"`
	StrategyID       string           `json:"strategy_id"`
	RunID            string           `json:"run_id"`
	Stage            string           `json:"stage"`
	RiskTier         string           `json:"risk_tier"`
	Metrics          map[string]any   `json:"metrics"`
	Validation       rules.Validation `json:"validation"`
	Summary          rules.Summary    `json:"summary"`
	ValidationHealth rules.Health     `json:"validation_health"`
	// Derivations lists the metric paths the service derived (not
	// submitted), in the order written.
	Derivations []string `json:"derivations,omitempty"`
}

// Evaluate runs the pipeline of validation-core §4.11 under the resolved
// policy: (1) the submitted metrics, (2) core and (3) advanced derivation from
// the series, (4) benchmark and paper/shadow enrichment, (5) rule evaluation,
// (6) on recording: validation health, live metrics and portfolio proxies.
// Submitted values always win; derivations fill nulls only. It fails only on
// invalid parameters.
func Evaluate(res policy.Resolved, req Request) (Run, error) {
	if res.Policy == nil {
		return Run{}, fmt.Errorf("evaluate %s/%s/%s: %w", req.WorldID, req.StrategyID, req.RunID, policy.ErrNoPolicy)
	}
	doc, derivations, err := prepare(req)
	if err != nil {
		return Run{}, err
	}
	out := rules.Evaluate(res.Policy, rules.Input{
		WorldID:       req.WorldID,
		StrategyID:    req.StrategyID,
		RunID:         req.RunID,
		Stage:         req.Stage,
		RiskTier:      req.RiskTier,
		PolicyVersion: res.Version,
		FailClosed:    req.FailClosed,
		Metrics:       doc,
	})
	doc, derivations = record(doc, out.Health, derivations)
	return Run{
		WorldID:          req.WorldID,
		StrategyID:       req.StrategyID,
		RunID:            req.RunID,
		Stage:            recordedStage(req.Stage),
		RiskTier:         recordedTier(req.RiskTier),
		Metrics:          doc,
		Validation:       out.Validation,
		Summary:          out.Summary,
		ValidationHealth: out.Health,
		Derivations:      derivations,
	}, nil
}

// Metrics runs steps (1)–(4) only: the metrics document a run would be
// evaluated on. The evaluator records it even when no policy exists.
func Metrics(req Request) (map[string]any, []string, error) {
	return prepare(req)
}

func prepare(req Request) (map[string]any, []string, error) {
	if err := req.Params.Validate(); err != nil {
		return nil, nil, fmt.Errorf("params: %w", err)
	}
	derived, err := metrics.Derive(req.Metrics, req.Returns, req.HasReturns, req.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("derive metrics: %w", err)
	}
	// The pipeline owns the derived document (Derive copied the submitted
	// one), so the later steps fill it in place.
	doc, derivations := derived.Metrics, derived.Derivations
	derivations = append(derivations, metrics.EnrichBenchmarkInPlace(doc)...)
	if req.Baseline != nil {
		switch policy.NormStage(req.Stage) {
		case "paper", "shadow":
			derivations = append(derivations, metrics.EnrichPaperShadowInPlace(doc, *req.Baseline)...)
		}
	}
	return doc, derivations, nil
}

// record applies the recording-time steps (6) of §4.11. AttachHealth returns
// a new document sharing the blocks of doc, which the pipeline then drops:
// the new one is the pipeline's alone, and filled in place.
func record(doc map[string]any, h rules.Health, derivations []string) (map[string]any, []string) {
	doc = rules.AttachHealth(doc, h)
	derivations = append(derivations, metrics.DeriveLiveInPlace(doc)...)
	derivations = append(derivations, metrics.PortfolioProxiesInPlace(doc, metrics.PortfolioBaseline{})...)
	return doc, derivations
}

// NoPolicyHealth is the validation health of a run that could not be
// evaluated because its world has no policy: no rule executed, one error.
func NoPolicyHealth(doc map[string]any) rules.Health {
	h := rules.ComputeHealth(doc, nil)
	h.ValidationErrorCount++
	return h
}

// recordedStage is the stage as a run records it (validation-core §2.2):
// lower-cased and trimmed, default backtest.
func recordedStage(s string) string {
	if n := strings.ToLower(strings.TrimSpace(s)); n != "" {
		return n
	}
	return "backtest"
}

// recordedTier is the risk tier as a run records it: lower-cased and
// trimmed, default unknown.
func recordedTier(s string) string {
	if n := strings.ToLower(strings.TrimSpace(s)); n != "" {
		return n
	}
	return "unknown"
}
