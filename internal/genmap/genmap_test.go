package genmap

import (
	"math/rand/v2"
	"testing"
)

// TestAgainstAModel runs random puts, gets and deletes against a plain map
// that remembers when each key was last used, and checks the three promises
// of a Map: it never answers a stale or deleted value, it never holds more
// than two generations, and it keeps every key used within the last
// generation's worth of other keys: a key is held while fewer than a
// generation's size of other keys were used since it was.
func TestAgainstAModel(t *testing.T) {
	for _, size := range []int{1, 2, 7, 64} {
		rng := rand.New(rand.NewPCG(uint64(size), 42))
		m := New[int, int](size)
		want := map[int]int{}    // the last value put, while not deleted
		var uses []int           // the keys used (put, or found), in order
		lastUse := map[int]int{} // where in uses each key was last used
		use := func(k int) { lastUse[k] = len(uses); uses = append(uses, k) }
		// usedSince counts the other keys used since k was, up to size.
		usedSince := func(k int) int {
			seen := map[int]bool{}
			for _, u := range uses[lastUse[k]+1:] {
				if u != k && !seen[u] {
					if seen[u] = true; len(seen) == size {
						break
					}
				}
			}
			return len(seen)
		}
		for step := 0; step < 20000; step++ {
			k := rng.IntN(4 * size)
			switch op := rng.IntN(10); {
			case op < 5:
				v := rng.Int()
				m.Put(k, v)
				want[k] = v
				use(k)
			case op < 9:
				v, ok := m.Get(k)
				w, live := want[k]
				switch {
				case ok && !live:
					t.Fatalf("size %d step %d: Get(%d) found a deleted or never put key", size, step, k)
				case ok && v != w:
					t.Fatalf("size %d step %d: Get(%d) = %d, want %d", size, step, k, v, w)
				case !ok && live && usedSince(k) < size:
					t.Fatalf("size %d step %d: Get(%d) lost a key after %d other keys were used", size, step, k, usedSince(k))
				}
				if ok {
					use(k)
				} else {
					delete(want, k)
				}
			default:
				m.Delete(k)
				delete(want, k)
				if _, ok := m.Get(k); ok {
					t.Fatalf("size %d step %d: Get(%d) found a deleted key", size, step, k)
				}
			}
			if m.Len() > 2*size {
				t.Fatalf("size %d step %d: Len() = %d, more than two generations of %d", size, step, m.Len(), size)
			}
		}
	}
}

// TestClear checks that a cleared map holds nothing and still works.
func TestClear(t *testing.T) {
	m := New[string, int](2)
	for i, k := range []string{"a", "b", "c", "d"} {
		m.Put(k, i)
	}
	m.Clear()
	if m.Len() != 0 {
		t.Fatalf("Len() after Clear = %d, want 0", m.Len())
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		if _, ok := m.Get(k); ok {
			t.Fatalf("Get(%q) after Clear found it", k)
		}
	}
	m.Put("e", 5)
	if v, ok := m.Get("e"); !ok || v != 5 {
		t.Fatalf("Get(e) = %d, %v; want 5, true", v, ok)
	}
}
