package policy

import "strings"

// NormStage normalizes a stage or profile key: trimmed, lower-cased, with '-'
// replaced by '_' (validation-core §2.3).
func NormStage(s string) string {
	normalized := s == "" || s[0] != ' ' && s[len(s)-1] != ' '
	for i := 0; i < len(s) && normalized; i++ {
		// Lower-case letters and '_', which make up the usual keys, are
		// settled by the first test (an evaluation normalizes its stage and
		// the stages of paper/shadow consistency: 800 → 420 instructions in
		// BenchmarkEvaluate).
		if c := s[i]; (c < 'a' || c > 'z') && c != '_' {
			normalized = c < 0x80 && c != '-' && (c < 'A' || c > 'Z') && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f'
		}
	}
	if normalized {
		return s
	}
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_")
}

// profileIndex maps normalized profile names to the profile name; a later
// profile wins over an earlier one with the same normalized name, as in QMTL.
func profileIndex(p *Policy) map[string]string {
	m := make(map[string]string, len(p.Profiles))
	for _, pr := range p.Profiles {
		m[NormStage(pr.Name)] = pr.Name
	}
	return m
}

// stageIndex maps normalized stage keys to profile names; a later entry wins
// over an earlier one with the same normalized key.
func stageIndex(p *Policy) map[string]string {
	m := make(map[string]string, len(p.DefaultProfileByStage))
	for _, e := range p.DefaultProfileByStage {
		m[NormStage(e.Stage)] = e.Profile
	}
	return m
}

// resolveProfile returns the name of the profile that x names after
// normalization, or "" when there is none.
func resolveProfile(p *Policy, x string) string {
	n := NormStage(x)
	if n == "" {
		return ""
	}
	name := ""
	found := false
	for _, pr := range p.Profiles {
		if NormStage(pr.Name) == n {
			name, found = pr.Name, true
		}
	}
	if !found {
		return ""
	}
	return name
}

// ChooseProfile selects the validation profile for a stage (validation-core
// §7.2) and reports whether one was chosen (false iff the policy has no
// profiles). The stage may be empty (no stage given).
//
// The order is: the default_profile_by_stage entry for norm(stage), then for
// norm(stage)+"_only"; a profile named like the stage; the first mapped
// profile that exists, in document order; a profile named "backtest", then
// "paper"; the first profile.
func (p *Policy) ChooseProfile(stage string) (string, bool) {
	if len(p.Profiles) == 0 {
		return "", false
	}
	var byNorm, mapping map[string]string
	if c := p.cache; c != nil {
		byNorm, mapping = c.byNorm, c.stageMap
	} else {
		byNorm, mapping = profileIndex(p), stageIndex(p)
	}
	resolve := func(x string) (string, bool) {
		n := NormStage(x)
		if n == "" {
			return "", false
		}
		name, ok := byNorm[n]
		return name, ok
	}
	if s := NormStage(stage); s != "" {
		if v, ok := mapping[s]; ok {
			if name, ok := resolve(v); ok {
				return name, true
			}
		}
		var buf [64]byte
		if v, ok := mapping[string(append(append(buf[:0], s...), "_only"...))]; ok {
			if name, ok := resolve(v); ok {
				return name, true
			}
		}
		if name, ok := resolve(stage); ok {
			return name, true
		}
	}
	for _, e := range p.DefaultProfileByStage {
		if name, ok := resolve(e.Profile); ok {
			return name, true
		}
	}
	if name, ok := byNorm["backtest"]; ok {
		return name, true
	}
	if name, ok := byNorm["paper"]; ok {
		return name, true
	}
	return p.Profiles[0].Name, true
}
