package projections

import "sort"

// sortedSet is a set of strings kept in ascending byte order. Projections add
// members that mostly sort last (zero-padded global positions), which append
// in O(1); an insertion or removal elsewhere costs a copy of the tail.
type sortedSet struct {
	members []string
}

func (s *sortedSet) len() int { return len(s.members) }

// search returns the index of the first member >= m.
func (s *sortedSet) search(m string) int {
	return sort.SearchStrings(s.members, m)
}

// add inserts m unless present.
func (s *sortedSet) add(m string) {
	if n := len(s.members); n == 0 || s.members[n-1] < m {
		s.members = append(s.members, m)
		return
	}
	i := s.search(m)
	if i < len(s.members) && s.members[i] == m {
		return
	}
	s.members = append(s.members, "")
	copy(s.members[i+1:], s.members[i:])
	s.members[i] = m
}

// remove deletes m and reports whether it was present.
func (s *sortedSet) remove(m string) bool {
	i := s.search(m)
	if i == len(s.members) || s.members[i] != m {
		return false
	}
	copy(s.members[i:], s.members[i+1:])
	s.members[len(s.members)-1] = ""
	s.members = s.members[:len(s.members)-1]
	return true
}

// rangeFrom copies up to limit members >= from (limit <= 0: all).
func (s *sortedSet) rangeFrom(from string, limit int) []string {
	i := s.search(from)
	rest := s.members[i:]
	if limit > 0 && len(rest) > limit {
		rest = rest[:limit]
	}
	return append([]string(nil), rest...)
}
