package metrics

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestFlatNil: a nil table is empty.
func TestFlatNil(t *testing.T) {
	var f *Flat
	if _, ok := f.Lookup("x"); ok || f.Len() != 0 || len(f.Names()) != 0 || len(f.Map()) != 0 {
		t.Error("nil table not empty")
	}
	if _, ok := f.LookupBytes([]byte("x")); ok {
		t.Error("LookupBytes on nil")
	}
	if f.Without("x") != nil {
		t.Error("Without on nil")
	}
	if g := f.With(Metric{"x", 1}); !reflect.DeepEqual(g.Map(), map[string]float64{"x": 1}) {
		t.Errorf("With on nil: %v", g.Map())
	}
}

// TestFlatWithWithout: With keeps present names and the first of repeated
// ones; Without drops one name; neither modifies its receiver.
func TestFlatWithWithout(t *testing.T) {
	f := FlatOf(map[string]float64{"a": 1, "b.c": 2, "": 3})
	g := f.With(Metric{"a", 9}, Metric{"d", 4}, Metric{"d", 5}, Metric{"", 6}, Metric{"e.f", 7})
	want := map[string]float64{"a": 1, "b.c": 2, "": 3, "d": 4, "e.f": 7}
	if !reflect.DeepEqual(g.Map(), want) || g.Len() != 5 {
		t.Errorf("With: %v", g.Map())
	}
	if !reflect.DeepEqual(g.Names(), []string{"", "a", "b.c", "d", "e.f"}) {
		t.Errorf("Names: %q", g.Names())
	}
	h := g.Without("d")
	delete(want, "d")
	if !reflect.DeepEqual(h.Map(), want) {
		t.Errorf("Without: %v", h.Map())
	}
	if g.Without("zz") != g {
		t.Error("Without an absent name copied the table")
	}
	if f.Len() != 3 || g.Len() != 5 {
		t.Error("receiver modified")
	}
	if v, ok := h.LookupBytes([]byte("e.f")); !ok || v != 7 {
		t.Errorf("LookupBytes = %v, %v", v, ok)
	}
}

// TestFlatLarge checks a table far larger than a derived document, every
// name against a map, present and absent (long probe sequences).
func TestFlatLarge(t *testing.T) {
	m := map[string]float64{}
	for i := range 5000 {
		m[fmt.Sprintf("n%d.%d", i%97, i)] = float64(i)
	}
	f := FlatOf(m)
	if f.Len() != len(m) {
		t.Fatalf("Len %d, want %d", f.Len(), len(m))
	}
	for k, v := range m {
		if got, ok := f.Lookup(k); !ok || math.Float64bits(got) != math.Float64bits(v) {
			t.Fatalf("Lookup(%q) = %v, %v", k, got, ok)
		}
		if _, ok := f.Lookup(k + "x"); ok {
			t.Fatalf("Lookup(%q) present", k+"x")
		}
	}
}

// TestFlatCrowdedBucket: names that share a bucket by length and last byte
// beyond maxChain get a table with hashed buckets, which finds them all.
func TestFlatCrowdedBucket(t *testing.T) {
	m := map[string]float64{}
	for i := range 3 * maxChain {
		m[fmt.Sprintf("m%02dx", i)] = float64(i) // length 4, last byte 'x'
	}
	for _, few := range []bool{true, false} {
		want := m
		if few {
			want = map[string]float64{}
			for i := range maxChain {
				want[fmt.Sprintf("m%02dx", i)] = float64(i)
			}
		}
		f := FlatOf(want)
		if (f.hashed != nil) == few {
			t.Errorf("%d names in one bucket: hashed %v", len(want), f.hashed != nil)
		}
		if !reflect.DeepEqual(f.Map(), want) || f.Len() != len(want) {
			t.Errorf("%d names: %v", len(want), f.Map())
		}
		for k, v := range want {
			if got, ok := f.Lookup(k); !ok || got != v {
				t.Errorf("Lookup(%q) = %v, %v", k, got, ok)
			}
			if got, ok := f.LookupBytes([]byte(k)); !ok || got != v {
				t.Errorf("LookupBytes(%q) = %v, %v", k, got, ok)
			}
		}
		if _, ok := f.Lookup("m99x"); ok {
			t.Error("absent name present")
		}
		if g := f.Without("m00x"); g.Len() != len(want)-1 {
			t.Errorf("Without: %d names", g.Len())
		}
	}
}

// TestFlatLongNames: names longer in all than 16-bit offsets reach get a
// table with hashed buckets, few as they are.
func TestFlatLongNames(t *testing.T) {
	m := map[string]float64{}
	for i := range 3 {
		m[strings.Repeat(string(rune('a'+i)), 30000)] = float64(i)
	}
	m["x"] = 9
	f := FlatOf(m)
	if f.hashed == nil {
		t.Fatal("buckets not hashed")
	}
	if !reflect.DeepEqual(f.Map(), m) || f.Len() != len(m) {
		t.Errorf("Map: %d names", len(f.Map()))
	}
	for k, v := range m {
		if got, ok := f.Lookup(k); !ok || got != v {
			t.Errorf("Lookup(%.5q…) = %v, %v", k, got, ok)
		}
	}
	if g := f.Without(strings.Repeat("a", 30000)); g.Len() != 3 || g.hashed == nil {
		t.Errorf("Without: %d names", g.Len())
	}
	if g := f.Without("x"); g.Len() != 3 {
		t.Errorf("Without x: %d names", g.Len())
	}
}
