package rules

import (
	"reflect"
	"testing"
)

// TestDetailArena: details from one arena have the capacity asked for, so
// that appending to one reallocates instead of overwriting the next, and a
// request larger than the chunk gets a chunk of its own.
func TestDetailArena(t *testing.T) {
	a := detailArena{chunk: 8}
	x := a.withRoom(1, Detail{"a", 1.0}, Detail{"b", 2.0})
	y := a.of(Detail{"c", 3.0})
	if len(x) != 2 || cap(x) != 3 || len(y) != 1 || cap(y) != 1 {
		t.Fatalf("len/cap x %d/%d, y %d/%d", len(x), cap(x), len(y), cap(y))
	}
	x.Set("d", 4.0) // fills x's room
	x.Set("e", 5.0) // past its capacity
	y.Set("f", 6.0)
	if want := (Details{{"a", 1.0}, {"b", 2.0}, {"d", 4.0}, {"e", 5.0}}); !reflect.DeepEqual(x, want) {
		t.Errorf("x = %v, want %v", x, want)
	}
	if want := (Details{{"c", 3.0}, {"f", 6.0}}); !reflect.DeepEqual(y, want) {
		t.Errorf("y = %v, want %v", y, want)
	}
	z := a.withRoom(0, Detail{"g", 7.0})
	if want := (Details{{"g", 7.0}}); !reflect.DeepEqual(z, want) {
		t.Errorf("z = %v, want %v", z, want)
	}
	big := a.withRoom(20, Detail{"h", 8.0})
	if len(big) != 1 || cap(big) != 21 {
		t.Errorf("big len/cap %d/%d", len(big), cap(big))
	}
}

// TestVersionAndProfile: policy_version is nil when empty; the profile is
// nil without profiles and a pointer to the name, even an empty one, with
// them; the two pointers are distinct.
func TestVersionAndProfile(t *testing.T) {
	deref := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	cases := []struct {
		version, profile string
		has              bool
		wantV, wantP     any
	}{
		{"", "", false, nil, nil},
		{"7", "", false, "7", nil},
		{"", "", true, nil, ""},
		{"", "live", true, nil, "live"},
		{"7", "live", true, "7", "live"},
		{"7", "live", false, "7", nil},
	}
	for _, c := range cases {
		v, p := versionAndProfile(c.version, c.has, c.profile, nil)
		if deref(v) != c.wantV || deref(p) != c.wantP {
			t.Errorf("versionAndProfile(%q, %v, %q) = %v, %v; want %v, %v", c.version, c.has, c.profile, deref(v), deref(p), c.wantV, c.wantP)
		}
		if v != nil && p != nil && v == p {
			t.Errorf("shared pointer")
		}
	}
}
