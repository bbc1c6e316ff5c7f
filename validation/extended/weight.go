package extended

import (
	"encoding/json"
	"math"
)

// CandidateWeight returns the weight α a candidate joins the hub portfolio
// with (spec §3.5.2, QMTL _candidate_weight_from_snapshot): the first of
// constraints.candidate_weight, candidate_weight_default and
// candidate_weight_pct/100 that is present (null counts as absent, and so
// does a non-numeric candidate_weight_pct), used when it is finite and in
// (0, 1]. Otherwise — no key, an invalid value (which does not fall through
// to the next key), constraints that are not an object — it is
// 1/(held+1), held counting every key of the hub weights.
func CandidateWeight(constraints json.RawMessage, held int) float64 {
	def := 1 / float64(held+1)
	if len(constraints) == 0 {
		return def
	}
	var c map[string]json.RawMessage
	if json.Unmarshal(constraints, &c) != nil {
		return def
	}
	valid := func(v float64, ok bool) float64 {
		if ok && !math.IsNaN(v) && !math.IsInf(v, 0) && v > 0 && v <= 1 {
			return v
		}
		return def
	}
	for _, key := range [...]string{"candidate_weight", "candidate_weight_default"} {
		if raw, ok := c[key]; ok && string(raw) != "null" {
			return valid(jsonNumber(raw))
		}
	}
	if v, ok := jsonNumber(c["candidate_weight_pct"]); ok {
		return valid(v/100, true)
	}
	return def
}

// jsonNumber decodes a JSON number literal.
func jsonNumber(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var v float64
	if json.Unmarshal(raw, &v) != nil {
		return 0, false
	}
	return v, true
}
