package extended

import (
	"encoding/json"
	"math"
)

// Stress is a parsed hub stress payload (spec §3.6.1 with D8), read once
// per snapshot and asked for each strategy's scenarios. A nil *Stress has
// no scenarios for anyone.
type Stress struct {
	perStrategy bool
	shared      map[string]any
	top, nested map[string]map[string]any
}

// ParseStress reads a stress payload. known reports whether an id is a
// strategy of the world (snapshot weights and evaluated strategies). The
// payload is per-strategy shaped when it has a "strategies" object or a
// top-level key that is a known strategy id; otherwise it is one scenario
// map shared by every strategy, used when any of its values is an object.
// It returns nil for an empty payload or one that is not an object.
func ParseStress(payload json.RawMessage, known func(string) bool) *Stress {
	if len(payload) == 0 {
		return nil
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(payload, &p) != nil || p == nil {
		return nil
	}
	s := &Stress{}
	var nested map[string]json.RawMessage
	if raw, ok := p["strategies"]; ok && isObject(raw) && json.Unmarshal(raw, &nested) == nil {
		s.perStrategy = true
	}
	for k := range p {
		if known != nil && known(k) {
			s.perStrategy = true
			break
		}
	}
	if !s.perStrategy {
		for _, v := range p {
			if isObject(v) {
				s.shared = scenarioMap(p)
				break
			}
		}
		return s
	}
	s.top, s.nested = map[string]map[string]any{}, map[string]map[string]any{}
	for k, v := range p {
		if b := scenarios(v); b != nil {
			s.top[k] = b
		}
	}
	for k, v := range nested {
		if b := scenarios(v); b != nil {
			s.nested[k] = b
		}
	}
	return s
}

// Shared reports whether the payload is one scenario map for everyone.
func (s *Stress) Shared() bool { return s != nil && !s.perStrategy && s.shared != nil }

// For returns the scenarios of strategy id as the nested block a metrics
// document holds under "stress" (scenario → metric → number, finite
// numbers only): its own bucket (P[id], else P.strategies[id]) in a
// per-strategy payload, the shared map otherwise, nil when it gets nothing.
// The result is a fresh copy.
func (s *Stress) For(id string) map[string]any {
	if s == nil {
		return nil
	}
	if !s.perStrategy {
		return copyScenarios(s.shared)
	}
	if b, ok := s.top[id]; ok {
		return copyScenarios(b)
	}
	return copyScenarios(s.nested[id])
}

func copyScenarios(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

// StressFor returns the scenarios of strategy s in a stress payload:
// ParseStress(payload, known).For(s). Callers asking for many strategies
// parse once instead.
func StressFor(payload json.RawMessage, s string, known func(string) bool) map[string]any {
	return ParseStress(payload, known).For(s)
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
// by every strategy rather than per-strategy shaped (D8; see
// [ParseStress]).
func StressShared(payload json.RawMessage, known func(string) bool) bool {
	return ParseStress(payload, known).Shared()
}
