package processor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/validation/policy"
)

// Limits of the identifiers and keys a request may carry.
const (
	// maxIDLen bounds world, strategy and run ids and model card versions,
	// in bytes.
	maxIDLen = 128
	// maxKeyLen bounds an idempotency key, in bytes.
	maxKeyLen = 256
	// maxStageLen bounds a stage, in bytes.
	maxStageLen = 64
)

// riskTiers names the accepted run risk tiers (validation-core §2.2), which
// are compared after trimming and lower-casing.
const riskTiers = "high, medium, low, unknown"

// submission is a validated evaluation request. Its RunID is empty when the
// caller left the choice to the service.
type submission struct {
	// req is the request as it will be recorded (not yet normalized).
	req events.EvaluationRunSubmitted
	// key is the caller's idempotency key, "" when it gave none.
	key string
}

// parseSubmission decodes and validates the body of POST
// /worlds/{world}/evaluations strictly: unknown or repeated fields, values of
// the wrong type, malformed ids and stages, non-numeric, non-finite or empty
// return series, unknown parameters. Every problem is reported at once in an
// E_VALIDATION error (422) whose details name each offending field's path.
// headerKey is the Idempotency-Key header ("" when absent).
func parseSubmission(world string, body []byte, headerKey string) (submission, error) {
	members, err := decodeObject(body)
	if err != nil {
		return submission{}, err
	}
	var ps problems
	checkID(&ps, "world_id", world)
	sub := submission{req: events.EvaluationRunSubmitted{WorldID: world}}
	var bodyKey string
	var hasMetrics, hasReturns bool
	for _, m := range members {
		switch m.name {
		case "strategy_id":
			if id, ok := stringValue(&ps, m.name, m.value); ok {
				checkID(&ps, m.name, id)
				sub.req.StrategyID = id
			} else if isNull(m.value) {
				ps.add(m.name, "is required")
			}
		case "run_id":
			if id, ok := stringValue(&ps, m.name, m.value); ok {
				checkID(&ps, m.name, id)
				sub.req.RunID = id
			}
		case "stage":
			if s, ok := stringValue(&ps, m.name, m.value); ok {
				sub.req.Stage = checkStage(&ps, m.name, s)
			}
		case "risk_tier":
			if s, ok := stringValue(&ps, m.name, m.value); ok {
				sub.req.RiskTier = checkRiskTier(&ps, m.name, s)
			}
		case "model_card_version":
			if s, ok := stringValue(&ps, m.name, m.value); ok {
				checkID(&ps, m.name, s)
				sub.req.ModelCardVersion = s
			}
		case "idempotency_key":
			bodyKey, _ = stringValue(&ps, m.name, m.value)
		case "metrics":
			sub.req.Metrics, hasMetrics = parseMetrics(&ps, m.name, m.value)
		case "returns":
			sub.req.Returns, hasReturns = parseReturns(&ps, m.name, m.value)
		case "params":
			sub.req.Params = parseParams(&ps, m.name, m.value)
		case "policy_version":
			if v, ok := intValue(&ps, m.name, m.value); ok {
				if v < 1 {
					ps.add(m.name, "must be a policy version (an integer from 1), got %d", v)
				}
				sub.req.PolicyVersion = v
			}
		default:
			ps.add(m.name, "unknown field")
		}
	}
	if !hasMember(members, "strategy_id") {
		ps.add("strategy_id", "is required")
	}
	if !hasMetrics && !hasReturns && !ps.concern("metrics", "returns") {
		ps.add("metrics", "metrics or returns is required: the run needs something to evaluate")
	}
	sub.key = checkKey(&ps, bodyKey, headerKey)
	if err := ps.err("the submission is invalid"); err != nil {
		return submission{}, err
	}
	return sub, nil
}

// hasMember reports whether the object has a member called name.
func hasMember(members []jsonMember, name string) bool {
	for _, m := range members {
		if m.name == name {
			return true
		}
	}
	return false
}

// checkID records a problem when id is not a usable identifier: empty, longer
// than maxIDLen bytes, not UTF-8, holding control characters, or with
// leading or trailing white space (ids are compared exactly, so " s1" and
// "s1" would be two strategies).
func checkID(ps *problems, path, id string) {
	switch {
	case id == "":
		ps.add(path, "must not be empty")
	case len(id) > maxIDLen:
		ps.add(path, "is %d bytes long; at most %d are allowed", len(id), maxIDLen)
	case !utf8.ValidString(id):
		ps.add(path, "is not valid UTF-8")
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		ps.add(path, "must not contain control characters")
	case strings.TrimSpace(id) != id:
		ps.add(path, "must not start or end with white space")
	}
}

// checkStage validates a stage and returns it trimmed; the aggregate records
// it lower-cased, "backtest" when empty.
func checkStage(ps *problems, path, stage string) string {
	s := strings.TrimSpace(stage)
	switch {
	case s == "":
		return ""
	case len(s) > maxStageLen:
		ps.add(path, "is %d bytes long; at most %d are allowed", len(s), maxStageLen)
	case !policy.KnownStage(s):
		ps.add(path, "%q is not a stage: use one of %s", stage, strings.Join(policy.Stages(), ", "))
	}
	return s
}

// checkRiskTier validates a run risk tier and returns it trimmed.
func checkRiskTier(ps *problems, path, tier string) string {
	t := strings.TrimSpace(tier)
	if t == "" {
		return ""
	}
	switch strings.ToLower(t) {
	case "high", "medium", "low", "unknown":
		return t
	}
	ps.add(path, "%q is not a risk tier (want one of %s)", tier, riskTiers)
	return t
}

// checkKey reconciles the idempotency key of the body and of the header and
// returns the one in effect.
func checkKey(ps *problems, bodyKey, headerKey string) string {
	key := bodyKey
	switch {
	case bodyKey != "" && headerKey != "" && bodyKey != headerKey:
		ps.add("idempotency_key", "differs from the Idempotency-Key header; send one key")
		return ""
	case key == "":
		key = headerKey
	}
	switch {
	case key == "":
	case len(key) > maxKeyLen:
		ps.add("idempotency_key", "is %d bytes long; at most %d are allowed", len(key), maxKeyLen)
	case !utf8.ValidString(key) || strings.IndexFunc(key, unicode.IsControl) >= 0:
		ps.add("idempotency_key", "must be UTF-8 text without control characters")
	}
	return key
}

// parseReturns validates a return series: an array whose elements are
// numbers or null, with at least one number. It returns the series as
// recorded (nulls kept) and whether one was given.
func parseReturns(ps *problems, path string, v json.RawMessage) ([]*float64, bool) {
	if isNull(v) {
		return nil, false
	}
	// The usual series, numbers and nulls only, in one pass; anything else
	// (and an empty or all-null series) gets the element-by-element reading
	// below, which says what is wrong where.
	var series events.ReturnSeries
	if series.UnmarshalJSON(v) == nil && slices.ContainsFunc(series, func(x *float64) bool { return x != nil }) {
		return series, true
	}
	return parseReturnsStrict(ps, path, v)
}

// parseReturnsStrict reads a return series element by element, naming each
// element that is not a finite number (parseReturns without its fast path).
func parseReturnsStrict(ps *problems, path string, v json.RawMessage) ([]*float64, bool) {
	var elems []json.RawMessage
	if jsonKind(v) != "an array" || json.Unmarshal(v, &elems) != nil {
		ps.add(path, "must be an array of numbers (null allowed), got %s", jsonKind(v))
		return nil, false
	}
	if len(elems) == 0 {
		ps.add(path, "the series is empty")
		return nil, false
	}
	out := make([]*float64, len(elems))
	values, bad := 0, 0
	for i, e := range elems {
		if isNull(e) {
			continue
		}
		x, err := finiteNumber(e)
		if err != nil {
			if bad < 10 { // enough to fix a client; a garbage series would drown the answer
				ps.add(fmt.Sprintf("%s[%d]", path, i), "%v", err)
			}
			bad++
			continue
		}
		out[i] = &x
		values++
	}
	if bad > 10 {
		ps.add(path, "%d elements in all are not finite numbers", bad)
	}
	if bad == 0 && values == 0 {
		ps.add(path, "the series has no values, only %d nulls", len(elems))
	}
	return out, true
}

// finiteNumber parses a raw JSON value as a finite float64.
func finiteNumber(v json.RawMessage) (float64, error) {
	v = bytes.TrimSpace(v)
	if jsonKind(v) != "a number" {
		if s := ""; jsonKind(v) == "a string" && json.Unmarshal(v, &s) == nil {
			return 0, fmt.Errorf("must be a number, got the string %q", s)
		}
		return 0, fmt.Errorf("must be a number, got %s", jsonKind(v))
	}
	x, err := strconv.ParseFloat(string(v), 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%s is out of the range of a float64", v)
	case err != nil:
		return 0, fmt.Errorf("must be a number, got %s", describeJSON(v))
	case math.IsNaN(x) || math.IsInf(x, 0):
		return 0, fmt.Errorf("must be a finite number, got %s", v)
	}
	return x, nil
}

// paramKind returns the JSON kind of a derivation parameter a submission may
// carry (validation-core §4.1: the parameters of validation/metrics.Params
// that the evaluator reads), and false for an unknown one.
func paramKind(name string) (string, bool) {
	switch name {
	case "periods_per_year", "risk_free_rate", "transaction_cost":
		return "a number", true
	}
	return "", false
}

// parseParams validates the derivation parameters and returns them compact,
// nil when absent.
func parseParams(ps *problems, path string, v json.RawMessage) json.RawMessage {
	if isNull(v) {
		return nil
	}
	members, err := decodeObject(v)
	if err != nil {
		ps.add(path, "must be an object of derivation parameters, got %s", jsonKind(v))
		return nil
	}
	for _, m := range members {
		p := path + "." + m.name
		kind, known := paramKind(m.name)
		switch {
		case !known:
			ps.add(p, "unknown parameter (known: periods_per_year, risk_free_rate, transaction_cost)")
		case isNull(m.value):
		case kind == "a number":
			x, err := finiteNumber(m.value)
			if err != nil {
				ps.add(p, "%v", err)
			} else if m.name == "periods_per_year" && x <= 0 {
				ps.add(p, "must be positive, got %s", m.value)
			}
		}
	}
	return compactJSON(v)
}

// compactJSON returns v without insignificant white space; v must be valid.
func compactJSON(v json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return v
	}
	return b.Bytes()
}
