package evaluationrun

import (
	"fmt"
	"strings"

	"github.com/worldval/worldval/aggregates/internal/canon"
	"github.com/worldval/worldval/events"
)

// Defaults recorded for absent request fields (validation-core §2.2).
const (
	// DefaultStage is the stage of a request without one.
	DefaultStage = "backtest"
	// DefaultRiskTier is the risk tier of a request without one.
	DefaultRiskTier = "unknown"
)

// Normalize returns req as it is recorded: stage and risk tier trimmed and
// lower-cased, with their defaults when absent, and no request hash.
func Normalize(req events.EvaluationRunSubmitted) events.EvaluationRunSubmitted {
	req.Stage = strings.ToLower(strings.TrimSpace(req.Stage))
	if req.Stage == "" {
		req.Stage = DefaultStage
	}
	req.RiskTier = strings.ToLower(strings.TrimSpace(req.RiskTier))
	if req.RiskTier == "" {
		req.RiskTier = DefaultRiskTier
	}
	req.RequestHash = ""
	return req
}

// RequestHash returns the canonical hash of a submission: "sha256:" and the
// hex SHA-256 of the canonical JSON (sorted keys, no insignificant
// whitespace, numbers as written) of the normalized request without its
// request_hash and submitted_by fields. Two submissions have the same hash
// exactly when they ask for the same evaluation, whoever sends them and
// however their JSON was laid out; a stored submission re-hashes to its own
// request_hash, so the value can be audited.
func RequestHash(req events.EvaluationRunSubmitted) (string, error) {
	req = Normalize(req)
	req.SubmittedBy = ""
	b, err := canon.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("request hash: %w", err)
	}
	return canon.Sum(b), nil
}
