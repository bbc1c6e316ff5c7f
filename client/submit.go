package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
)

// SubmitRequest is one evaluation run to submit: the strategy's return
// series and/or precomputed metrics, for a stage.
type SubmitRequest struct {
	// StrategyID names the strategy (required).
	StrategyID string `json:"strategy_id"`
	// RunID names the run. Empty lets the service choose one: derived from
	// IdempotencyKey when set (a retry names the same run), else from the
	// server clock.
	RunID string `json:"run_id,omitempty"`
	// Stage is the stage the run is validated for: backtest (the default
	// when empty), paper, shadow, live, dryrun, ….
	Stage string `json:"stage,omitempty"`
	// RiskTier is high, medium, low or unknown (the default).
	RiskTier string `json:"risk_tier,omitempty"`
	// ModelCardVersion names the strategy's model card version.
	ModelCardVersion string `json:"model_card_version,omitempty"`
	// PolicyVersion evaluates the run under this policy version instead of
	// the world's default.
	PolicyVersion int `json:"policy_version,omitempty"`
	// Returns are per-period simple returns (0.01 is +1%), oldest first;
	// every value must be finite.
	Returns []float64 `json:"returns,omitempty"`
	// Metrics is a metrics document (blocks returns, sample, risk,
	// robustness, diagnostics, benchmark, stress), such as
	// {"diagnostics": {"search_intensity": 200}}; the service derives the
	// rest from Returns.
	Metrics json.RawMessage `json:"metrics,omitempty"`
	// Params are the derivation parameters; nil means the defaults.
	Params *Params `json:"params,omitempty"`
	// IdempotencyKey makes the submission safe to retry: a retry with the
	// same key records nothing and answers with the same run.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// Params are the derivation parameters of a submission; zero fields take the
// service's defaults.
type Params struct {
	// PeriodsPerYear is the number of return periods in a year (default
	// 252, daily bars).
	PeriodsPerYear float64 `json:"periods_per_year,omitempty"`
	// RiskFreeRate is the risk-free return per period.
	RiskFreeRate float64 `json:"risk_free_rate,omitempty"`
	// TransactionCost is the cost per period in return units.
	TransactionCost float64 `json:"transaction_cost,omitempty"`
}

// Submission is the service's answer to a submission.
type Submission struct {
	// WorldID, StrategyID and RunID identify the submitted run; RunID is
	// the service's choice when the request named none.
	WorldID    string `json:"world_id"`
	StrategyID string `json:"strategy_id"` // See WorldID.
	RunID      string `json:"run_id"`      // See WorldID.
	// Status is the run's status when the service answered, usually
	// [StatusEvaluating].
	Status string `json:"status"`
	// Links are the paths of the run's resources.
	Links RunLinks `json:"links"`
	// Created is true when this request recorded the run (202 Accepted),
	// false when the service already had it (a retry, 200 OK).
	Created bool `json:"-"`
}

// Ref returns the submitted run's reference.
func (s *Submission) Ref() RunRef {
	return RunRef{WorldID: s.WorldID, StrategyID: s.StrategyID, RunID: s.RunID}
}

// Submit submits a run for evaluation in world and returns as soon as the
// service has recorded it; the verdict follows a moment later (see
// [Client.WaitForVerdict]). A submission the service rejects is an
// [*APIError] (E_VALIDATION lists every problem in [APIError.Problems]);
// nothing is recorded then. A submission with an explicit RunID or an
// IdempotencyKey is retried while the service answers 503.
func (c *Client) Submit(ctx context.Context, world string, req SubmitRequest) (*Submission, error) {
	for i, x := range req.Returns {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("submit to %s: returns[%d] is %v; every return must be finite", world, i, x)
		}
	}
	if req.Returns == nil && len(req.Metrics) == 0 {
		return nil, errors.New("submit to " + world + ": the request has neither returns nor metrics")
	}
	body, err := marshalSubmit(&req)
	if err != nil {
		return nil, fmt.Errorf("submit to %s: %w", world, err)
	}
	var s Submission
	status, err := c.do(ctx, request{
		method: http.MethodPost, path: worldPath(world, "evaluations"), body: body, contentType: "application/json",
		retry: req.RunID != "" || req.IdempotencyKey != "",
	}, &s)
	if err != nil {
		return nil, fmt.Errorf("submit to %s: %w", world, err)
	}
	s.Created = status == http.StatusAccepted
	return &s, nil
}
