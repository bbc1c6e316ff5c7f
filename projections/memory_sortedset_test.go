package projections

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestSortedSetAgainstAMap: random adds and removes, mostly at the end as
// the projections make them, leave the packed set holding what a plain set
// holds, in byte order, with ranges that agree.
func TestSortedSetAgainstAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var s sortedSet
	want := map[string]bool{}
	for i := range 20000 {
		var m string
		switch {
		case rng.IntN(10) < 7:
			m = pad(uint64(i)) + "/run/x" // ascending, appended
		case rng.IntN(2) == 0:
			m = pad(uint64(rng.IntN(i+1))) + "/run/x" // somewhere inside
		default:
			m = strings.Repeat("z", rng.IntN(3)) // short, and ""
		}
		if rng.IntN(4) == 0 {
			if got := s.remove(m); got != want[m] {
				t.Fatalf("remove %q: %v, want %v", m, got, want[m])
			}
			delete(want, m)
			continue
		}
		s.add(m)
		want[m] = true
	}
	keys := slices.Sorted(maps.Keys(want))
	if got := s.all(); !slices.Equal(got, keys) {
		t.Fatalf("set holds %d members, want %d", len(got), len(keys))
	}
	for range 200 {
		from, limit := keys[rng.IntN(len(keys))], rng.IntN(50)
		i, _ := slices.BinarySearch(keys, from)
		w := keys[i:]
		if limit > 0 && len(w) > limit {
			w = w[:limit]
		}
		if got := s.rangeFrom(from, limit); !slices.Equal(got, w) {
			t.Fatalf("range from %q, %d: %v, want %v", from, limit, got, w)
		}
	}
}
