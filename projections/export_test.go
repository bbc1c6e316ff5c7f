package projections

import "sort"

// Dump returns every value, set and checkpoint of s as sorted lines, so that
// tests can compare two stores exactly.
func Dump(s *MemoryStore) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for k, v := range s.values {
		out = append(out, "value "+k+" = "+string(v))
	}
	for name, set := range s.sets {
		for _, m := range set.members {
			out = append(out, "member "+name+" : "+m)
		}
	}
	for name, cp := range s.checkpoints {
		out = append(out, "checkpoint "+name+" = "+pad(cp))
	}
	sort.Strings(out)
	return out
}
