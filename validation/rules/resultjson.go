package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/worldval/worldval/internal/jsonfast"
)

// Results are encoded for every verdict (one RuleEvaluated event per rule),
// so they, their details and the values rules put in details are written
// by hand instead of through reflection, to the bytes encoding/json
// writes. A value of a type not known here is encoded by json.Marshal, as
// before.

// AppendMarshal appends r as an encoding/json Encoder with
// SetEscapeHTML(false) writes it, without the trailing newline: the form
// events.Marshal stores, in which the evaluator records each rule's result,
// written without reflection. Its details are escaped as
// [Details.MarshalJSON] escapes them. It returns false when a detail holds a
// value encoding/json refuses (a NaN, say); the caller then encodes r
// through encoding/json, which reports why.
func (r RuleResult) AppendMarshal(dst []byte) ([]byte, bool) {
	return r.appendJSON(dst, false)
}

// appendJSON appends r as encoding/json writes it, with escapeHTML as
// json.Marshal (true) or an Encoder with SetEscapeHTML(false) (false) has
// it.
func (r RuleResult) appendJSON(dst []byte, escapeHTML bool) ([]byte, bool) {
	orig := dst
	dst = slices.Grow(dst, r.sizeHint())
	dst = append(dst, `{"status":`...)
	dst = jsonfast.AppendString(dst, string(r.Status), escapeHTML)
	dst = append(dst, `,"severity":`...)
	dst = jsonfast.AppendString(dst, string(r.Severity), escapeHTML)
	dst = append(dst, `,"owner":`...)
	dst = jsonfast.AppendString(dst, string(r.Owner), escapeHTML)
	dst = append(dst, `,"reason_code":`...)
	dst = jsonfast.AppendString(dst, r.ReasonCode, escapeHTML)
	dst = append(dst, `,"reason":`...)
	dst = jsonfast.AppendString(dst, r.Reason, escapeHTML)
	dst = append(dst, `,"tags":`...)
	dst = jsonfast.AppendStrings(dst, r.Tags, escapeHTML)
	dst = append(dst, `,"details":`...)
	dst, err := r.Details.appendJSON(dst)
	if err != nil {
		return orig, false
	}
	return append(dst, '}'), true
}

// sizeHint estimates the length of r's encoding, so that it is written
// into one buffer.
func (r RuleResult) sizeHint() int {
	n := 160 + len(r.ReasonCode) + len(r.Reason) + 16*len(r.Tags)
	for _, d := range r.Details {
		n += len(d.Key) + 24
		switch x := d.Value.(type) {
		case MetricNames:
			n += 32 * x.flat.Len()
		case []Violation:
			n += 96 * len(x)
		case []string:
			n += 24 * len(x)
		}
	}
	return n
}

// appendJSON appends the details as [Details.MarshalJSON] returns them.
func (d Details) appendJSON(dst []byte) ([]byte, error) {
	return appendObject(dst, "detail", len(d), func(i int) (string, any) { return d[i].Key, d[i].Value })
}

// appendObject appends n members as one JSON object in the given order; at
// returns the i-th member's key and value. Keys and values are written as
// json.Marshal writes them (HTML escaped). [Details] and [Results] are
// ordered maps and share it.
func appendObject(dst []byte, what string, n int, at func(i int) (string, any)) ([]byte, error) {
	dst = append(dst, '{')
	for i := range n {
		key, val := at(i)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonfast.AppendString(dst, key, true)
		dst = append(dst, ':')
		if out, ok := appendValue(dst, val); ok {
			dst = out
			continue
		}
		v, err := json.Marshal(val)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", what, key, err)
		}
		dst = append(dst, v...)
	}
	return append(dst, '}'), nil
}

// appendValue appends v as json.Marshal writes it, for the types rules put
// in details and results; false for any other type, or a value
// encoding/json refuses.
func appendValue(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case string:
		return jsonfast.AppendString(dst, x, true), true
	case float64:
		return jsonfast.AppendFloat(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case []string:
		return jsonfast.AppendStrings(dst, x, true), true
	case MetricNames:
		return jsonfast.AppendStrings(dst, x.Names(), true), true
	case []Violation:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, vi := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = vi.appendJSON(dst); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	case Details:
		out, err := x.appendJSON(dst)
		return out, err == nil
	case RuleResult:
		return x.appendJSON(dst, true)
	}
	return dst, false
}

// appendJSON appends the violation as json.Marshal writes it.
func (v Violation) appendJSON(dst []byte) ([]byte, bool) {
	dst = append(dst, `{"metric":`...)
	dst = jsonfast.AppendString(dst, v.Metric, true)
	dst = append(dst, `,"reason":`...)
	dst = jsonfast.AppendString(dst, v.Reason, true)
	if v.Mode != "" {
		dst = append(dst, `,"mode":`...)
		dst = jsonfast.AppendString(dst, v.Mode, true)
	}
	for _, b := range [...]struct {
		key string
		v   *float64
	}{{`,"min":`, v.Min}, {`,"max":`, v.Max}, {`,"value":`, v.Value}} {
		if b.v == nil {
			continue
		}
		dst = append(dst, b.key...)
		var ok bool
		if dst, ok = jsonfast.AppendFloat(dst, *b.v); !ok {
			return dst, false
		}
	}
	dst = append(dst, `,"blocking":`...)
	dst = strconv.AppendBool(dst, v.Blocking)
	return append(dst, '}'), true
}

// AppendMarshal appends h as an encoding/json Encoder writes it, without the
// trailing newline (the form events.Marshal stores), without reflection;
// false when a ratio is not finite, which encoding/json refuses.
func (h Health) AppendMarshal(dst []byte) ([]byte, bool) {
	orig := dst
	dst = append(dst, `{"metric_coverage_ratio":`...)
	dst, ok1 := jsonfast.AppendFloat(dst, h.MetricCoverageRatio)
	dst = append(dst, `,"rules_executed_ratio":`...)
	dst, ok2 := jsonfast.AppendFloat(dst, h.RulesExecutedRatio)
	if !ok1 || !ok2 {
		return orig, false
	}
	dst = append(dst, `,"validation_error_count":`...)
	dst = strconv.AppendInt(dst, int64(h.ValidationErrorCount), 10)
	return append(dst, '}'), true
}
