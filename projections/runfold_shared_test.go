package projections

import "testing"

// TestSharedValues: one pointer per value, nil for an absent string, and a
// bounded table whose forgotten pointers keep their values.
func TestSharedValues(t *testing.T) {
	sv := sharedValues{remembers: 2}
	a, b := sv.str("blake3:ab"), sv.str("blake3:"+"ab")
	if a != b || *a != "blake3:ab" {
		t.Fatalf("two pointers for one value: %p %p", a, b)
	}
	if sv.optional("") != nil || sv.optional("backtest") != sv.str("backtest") {
		t.Fatal("optional")
	}
	if c := sv.str("third"); c == a || *c != "third" || *a != "blake3:ab" {
		t.Fatalf("after the bound: %q, first still %q", *c, *a)
	}
	if len(sv.strs) != 1 {
		t.Fatalf("table holds %d values past its bound of 2", len(sv.strs))
	}
	yes, no := sv.boolean(true), sv.boolean(false)
	if yes != sv.boolean(true) || no != sv.boolean(false) || !*yes || *no {
		t.Fatal("booleans")
	}
}
