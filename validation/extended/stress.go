package extended

import (
	"encoding/json"
	"math"
)

// StressFor returns the stress scenarios of strategy s in a hub stress
// payload (spec §3.6.1 with D8), as the nested block a metrics document
// holds under "stress": scenario → metric → number. known is the set of
// strategy ids the world knows (snapshot weights and evaluated strategies).
//
// The payload is per-strategy shaped when it has a "strategies" object or a
// top-level key that is a known strategy id; then s gets its own bucket
// (P[s], else P.strategies[s]) or nothing. Otherwise it is one scenario map
// shared by every strategy, used when any of its values is an object. Only
// finite numbers are kept (booleans, strings and nulls are dropped); a
// scenario with none is dropped. It returns nil when s gets nothing.
func StressFor(payload json.RawMessage, s string, known func(string) bool) map[string]any {
	if len(payload) == 0 {
		return nil
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(payload, &p) != nil {
		return nil
	}
	perStrategy := false
	var nested map[string]json.RawMessage
	if raw, ok := p["strategies"]; ok && json.Unmarshal(raw, &nested) == nil && nested != nil {
		perStrategy = true
	}
	for k := range p {
		if !perStrategy && known != nil && known(k) {
			perStrategy = true
		}
	}
	if perStrategy {
		if b := scenarios(p[s]); b != nil {
			return b
		}
		return scenarios(nested[s])
	}
	shared := false
	for _, v := range p {
		if isObject(v) {
			shared = true
			break
		}
	}
	if !shared {
		return nil
	}
	return scenarioMap(p)
}

// scenarios decodes one bucket (scenario → metrics) and keeps its numbers.
func scenarios(raw json.RawMessage) map[string]any {
	if !isObject(raw) {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return scenarioMap(m)
}

// scenarioMap keeps the numeric metrics of each scenario object.
func scenarioMap(m map[string]json.RawMessage) map[string]any {
	out := make(map[string]any, len(m))
	for name, raw := range m {
		var metrics map[string]any
		if !isObject(raw) || json.Unmarshal(raw, &metrics) != nil {
			continue
		}
		kept := make(map[string]any, len(metrics))
		for k, v := range metrics {
			if f, ok := v.(float64); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
				kept[k] = f
			}
		}
		if len(kept) > 0 {
			out[name] = kept
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// isObject reports whether raw is a JSON object.
func isObject(raw json.RawMessage) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// StressMaxDrawdown returns |max_drawdown| of a scenario block, else |dd_max|
// (the stress rule's reading, §3.6.3).
func StressMaxDrawdown(scenario map[string]any) (float64, bool) {
	for _, k := range [...]string{"max_drawdown", "dd_max"} {
		if v, ok := scenario[k].(float64); ok {
			return math.Abs(v), true
		}
	}
	return 0, false
}

// StressShared reports whether a stress payload is one scenario map shared
// by every strategy rather than per-strategy shaped (D8; see [StressFor]).
func StressShared(payload json.RawMessage, known func(string) bool) bool {
	var p map[string]json.RawMessage
	if json.Unmarshal(payload, &p) != nil {
		return false
	}
	if raw, ok := p["strategies"]; ok && isObject(raw) {
		return false
	}
	for k := range p {
		if known != nil && known(k) {
			return false
		}
	}
	for _, v := range p {
		if isObject(v) {
			return true
		}
	}
	return false
}
