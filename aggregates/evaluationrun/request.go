package evaluationrun

import (
	"encoding/json"
	"fmt"
	"strconv"
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
	// The canonical form of a usual request (a year of daily returns) fits
	// in scratch, on the stack: hashing it allocates nothing but the hash.
	var scratch [8 << 10]byte
	b, err := appendCanonicalRequest(scratch[:0], req)
	if err != nil {
		return "", fmt.Errorf("request hash: %w", err)
	}
	return canon.Sum(b), nil
}

// canonicalRequest returns the canonical JSON of req: the bytes
// canon.Marshal(req) returns, written field by field in sorted key order
// instead of encoding the request and decoding it again. The return series,
// most of a request, is an array of numbers whose encoding/json form is
// already canonical, so it is written as encoding/json writes it (without
// reflection, see [events.ReturnSeries.AppendJSON]); the submitted
// documents (metrics, params) are canonicalized as canon does. Its equality
// with canon.Marshal is a fuzzed property of the tests.
func canonicalRequest(req events.EvaluationRunSubmitted) ([]byte, error) {
	return appendCanonicalRequest(make([]byte, 0, 512+24*len(req.Returns)+len(req.Metrics)+len(req.Params)), req)
}

// appendCanonicalRequest appends the canonical JSON of req (see
// canonicalRequest) to dst.
func appendCanonicalRequest(dst []byte, req events.EvaluationRunSubmitted) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	key := func(k string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, `":`...)
	}
	str := func(k, v string) {
		key(k)
		dst = canon.AppendString(dst, v)
	}
	doc := func(k string, v json.RawMessage) error {
		c, err := canon.JSON(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		key(k)
		dst = append(dst, c...)
		return nil
	}
	// Keys in byte order; the omitempty fields of the event only when set.
	if req.CampaignID != "" {
		str("campaign_id", req.CampaignID)
	}
	if len(req.Metrics) > 0 {
		if err := doc("metrics", req.Metrics); err != nil {
			return nil, err
		}
	}
	if req.ModelCardVersion != "" {
		str("model_card_version", req.ModelCardVersion)
	}
	if len(req.Params) > 0 {
		if err := doc("params", req.Params); err != nil {
			return nil, err
		}
	}
	if req.PolicyVersion != 0 {
		key("policy_version")
		dst = strconv.AppendInt(dst, int64(req.PolicyVersion), 10)
	}
	str("request_hash", req.RequestHash)
	if len(req.Returns) > 0 {
		key("returns")
		b, err := req.Returns.AppendJSON(dst)
		if err != nil {
			return nil, fmt.Errorf("returns: %w", err)
		}
		dst = b
	}
	str("risk_tier", req.RiskTier)
	str("run_id", req.RunID)
	str("stage", req.Stage)
	str("strategy_id", req.StrategyID)
	if req.SubmittedBy != "" {
		str("submitted_by", req.SubmittedBy)
	}
	str("world_id", req.WorldID)
	return append(dst, '}'), nil
}
