package projections

import (
	"math"
	"sort"
	"unsafe"
)

// sortedSet is a set of strings kept in ascending byte order, packed: the
// members' bytes one after another in data, and where each starts in offs.
// Neither holds a pointer, so a set of every run the service evaluated is
// two objects the garbage collector marks without looking into, rather than
// a string per member. Projections add members that mostly sort last
// (zero-padded global positions), which append in O(1); an insertion or
// removal elsewhere moves the bytes and offsets after it.
type sortedSet struct {
	data []byte
	offs []uint32 // member i is data[offs[i]:end(i)]
}

func (s *sortedSet) len() int { return len(s.offs) }

// end returns where member i ends.
func (s *sortedSet) end(i int) uint32 {
	if i+1 < len(s.offs) {
		return s.offs[i+1]
	}
	return uint32(len(s.data))
}

// at returns member i as a string that shares the set's bytes: only for
// comparing, since the bytes move when the set changes.
func (s *sortedSet) at(i int) string {
	b := s.data[s.offs[i]:s.end(i)]
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// search returns the index of the first member >= m.
func (s *sortedSet) search(m string) int {
	return sort.Search(len(s.offs), func(i int) bool { return s.at(i) >= m })
}

// add inserts m unless present. A set holds at most 4 GiB of members (its
// offsets are 32-bit): some seventy million runs' worth.
func (s *sortedSet) add(m string) {
	if uint64(len(s.data))+uint64(len(m)) > math.MaxUint32 {
		panic("projections: a sorted set outgrew 4 GiB")
	}
	n := len(s.offs)
	if n == 0 || s.at(n-1) < m {
		s.offs = append(s.offs, uint32(len(s.data)))
		s.data = append(s.data, m...)
		return
	}
	i := s.search(m)
	if i < n && s.at(i) == m {
		return
	}
	at := s.offs[i]
	s.data = append(s.data, m...) // room at the end, then the tail moves up
	copy(s.data[int(at)+len(m):], s.data[at:len(s.data)-len(m)])
	copy(s.data[at:], m)
	s.offs = append(s.offs, 0)
	copy(s.offs[i+1:], s.offs[i:n])
	for j := i + 1; j <= n; j++ {
		s.offs[j] += uint32(len(m))
	}
	s.offs[i] = at
}

// remove deletes m and reports whether it was present.
func (s *sortedSet) remove(m string) bool {
	i := s.search(m)
	if i == len(s.offs) || s.at(i) != m {
		return false
	}
	start, end := s.offs[i], s.end(i)
	size := end - start
	s.data = append(s.data[:start], s.data[end:]...)
	s.offs = append(s.offs[:i], s.offs[i+1:]...)
	for j := i; j < len(s.offs); j++ {
		s.offs[j] -= size
	}
	return true
}

// rangeFrom copies up to limit members >= from (limit <= 0: all).
func (s *sortedSet) rangeFrom(from string, limit int) []string {
	i := s.search(from)
	n := len(s.offs) - i
	if limit > 0 && n > limit {
		n = limit
	}
	out := make([]string, n)
	for j := range out {
		out[j] = string(s.data[s.offs[i+j]:s.end(i+j)])
	}
	return out
}

// all copies every member, in order.
func (s *sortedSet) all() []string { return s.rangeFrom("", 0) }
