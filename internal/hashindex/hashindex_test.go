package hashindex

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestAgainstAMap runs random puts, gets and deletes against a plain map,
// with the seeded hash and with one under which most keys clash, and checks
// that the index answers as the map does, holds as many keys, and yields the
// same values.
func TestAgainstAMap(t *testing.T) {
	for name, hash := range map[string]func(string) uint64{
		"seeded":   nil,
		"clashing": func(k string) uint64 { return uint64(len(k) % 3) },
	} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 11))
			// Values are ids into keys, from which the index reads
			// the key back, as its users do from their own memory.
			var keys []string
			x := New(func(id int) string { return keys[id] }, hash)
			want := map[string]int{}
			for step := range 20000 {
				k := fmt.Sprintf("key-%d", rng.IntN(300))
				switch op := rng.IntN(10); {
				case op < 4:
					keys = append(keys, k)
					x.Put(k, len(keys)-1)
					want[k] = len(keys) - 1
				case op < 6:
					v, ok := x.Delete(k)
					w, had := want[k]
					if ok != had || v != w {
						t.Fatalf("step %d: Delete(%q) = %d, %v; want %d, %v", step, k, v, ok, w, had)
					}
					delete(want, k)
				default:
					v, ok := x.Get(k)
					w, had := want[k]
					if ok != had || v != w || x.Has(k, w) != had {
						t.Fatalf("step %d: Get(%q) = %d, %v; want %d, %v", step, k, v, ok, w, had)
					}
				}
				if x.Len() != len(want) {
					t.Fatalf("step %d: Len() = %d, want %d", step, x.Len(), len(want))
				}
			}
			got := slices.Sorted(x.Values())
			if exp := slices.Sorted(maps.Values(want)); !slices.Equal(got, exp) {
				t.Fatalf("Values() = %v, want %v", got, exp)
			}
			if name == "clashing" && len(x.clash) == 0 {
				t.Fatal("no key clashed: the test did not reach the clash path")
			}
		})
	}
}

// TestPutCopiesClashingKeys: a clashing key is held as a copy, so that a
// key sharing the caller's memory (a slab that is later reused) does not
// change in the index when that memory does.
func TestPutCopiesClashingKeys(t *testing.T) {
	keys := []string{"first", "other"}
	x := New(func(id int) string { return keys[id] }, func(string) uint64 { return 1 })
	x.Put("first", 0)
	mem := []byte("other")
	x.Put(unsafe.String(&mem[0], len(mem)), 1) // clashes with "first"
	copy(mem, "XXXXX")
	if v, ok := x.Get("other"); !ok || v != 1 {
		t.Fatalf("Get(other) after the caller's memory changed = %d, %v; want 1, true", v, ok)
	}
}
