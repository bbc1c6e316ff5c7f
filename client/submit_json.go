package client

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/worldval/worldval/internal/jsonfast"
)

// marshalSubmit encodes a submission's body: the bytes json.Marshal gives
// for req, written without reflection when it can be. A return series of
// a few thousand numbers is most of a submission, and a producer sending
// hundreds of them a second spends most of its encoding time in
// encoding/json's reflection over that slice.
func marshalSubmit(req *SubmitRequest) ([]byte, error) {
	if body, ok := req.appendJSON(make([]byte, 0, 256+12*len(req.Returns)+len(req.Metrics))); ok {
		return body, nil
	}
	return json.Marshal(req)
}

// appendJSON appends req as json.Marshal writes it; ok is false, and the
// caller falls back to json.Marshal, when a value is one it does not
// write the same way: a non-finite number, or metrics that are not one
// valid JSON value or hold characters json.Marshal escapes inside raw
// JSON ('<', '>', '&', U+2028, U+2029).
func (req *SubmitRequest) appendJSON(dst []byte) (_ []byte, ok bool) {
	dst = append(dst, `{"strategy_id":`...)
	dst = jsonfast.AppendString(dst, req.StrategyID, true)
	dst = appendStringField(dst, `,"run_id":`, req.RunID)
	dst = appendStringField(dst, `,"stage":`, req.Stage)
	dst = appendStringField(dst, `,"risk_tier":`, req.RiskTier)
	dst = appendStringField(dst, `,"model_card_version":`, req.ModelCardVersion)
	if req.PolicyVersion != 0 {
		dst = append(dst, `,"policy_version":`...)
		dst = strconv.AppendInt(dst, int64(req.PolicyVersion), 10)
	}
	if len(req.Returns) > 0 {
		dst = append(dst, `,"returns":[`...)
		for i, x := range req.Returns {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, ok = jsonfast.AppendFloat(dst, x); !ok {
				return dst, false
			}
		}
		dst = append(dst, ']')
	}
	if len(req.Metrics) > 0 {
		if bytes.ContainsAny(req.Metrics, "<>&\u2028\u2029") {
			return dst, false
		}
		dst = append(dst, `,"metrics":`...)
		if dst, ok = jsonfast.AppendCompact(dst, req.Metrics); !ok {
			return dst, false
		}
	}
	if p := req.Params; p != nil {
		dst = append(dst, `,"params":{`...)
		first := true
		for _, f := range [...]struct {
			name string
			v    float64
		}{{"periods_per_year", p.PeriodsPerYear}, {"risk_free_rate", p.RiskFreeRate}, {"transaction_cost", p.TransactionCost}} {
			if f.v == 0 {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(append(append(dst, '"'), f.name...), `":`...)
			if dst, ok = jsonfast.AppendFloat(dst, f.v); !ok {
				return dst, false
			}
		}
		dst = append(dst, '}')
	}
	dst = appendStringField(dst, `,"idempotency_key":`, req.IdempotencyKey)
	return append(dst, '}'), true
}

// appendStringField appends an omitempty string member: key (with its
// leading comma and trailing colon) and s, or nothing when s is empty.
func appendStringField(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	return jsonfast.AppendString(append(dst, key...), s, true)
}
