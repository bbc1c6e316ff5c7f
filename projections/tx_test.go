package projections

import (
	"errors"
	"testing"
)

// A Put carries bytes or, from a projection to a store that keeps Go values,
// the value itself; a Put with neither is malformed.
func TestValidatePutForms(t *testing.T) {
	v := &InvariantWorld{WorldID: "w1"}
	ok := Batch{Projection: "p", To: 1, Writes: []Write{Put{Key: "p/a", Value: []byte(`1`)}, Put{Key: "p/b", obj: v}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("validate %+v: %v", ok, err)
	}
	bad := Batch{Projection: "p", To: 1, Writes: []Write{Put{Key: "p/a"}}}
	if err := bad.Validate(); !errors.Is(err, ErrInvalidBatch) {
		t.Fatalf("validate a Put without a value: %v, want ErrInvalidBatch", err)
	}
}

// Over a store that keeps Go values, a batch commits the values themselves
// and the next batch folds a copy; over any other store it commits bytes.
func TestTxWritesByStore(t *testing.T) {
	v := &InvariantWorld{WorldID: "w1"}
	mem := NewMemoryStore()
	for _, c := range []struct {
		store   Store
		goValue bool
	}{{mem, true}, {struct{ Store }{mem}, false}} {
		tx := newTx(c.store)
		tx.put("p/w", v)
		ws, err := tx.writes()
		if err != nil {
			t.Fatal(err)
		}
		put := ws[0].(Put)
		if got := put.obj != nil; got != c.goValue || (put.Value == nil) == (put.obj == nil) {
			t.Fatalf("store %T: put %+v, want a Go value: %v", c.store, put, c.goValue)
		}
	}

	if err := mem.Commit(t.Context(), Batch{Projection: "p", To: 1, Writes: []Write{Put{Key: "p/w", obj: v}}}); err != nil {
		t.Fatal(err)
	}
	w, found, err := get[InvariantWorld](t.Context(), newTx(mem), "p/w")
	if err != nil || !found {
		t.Fatalf("get: %v, %v", found, err)
	}
	if w == v || *w != *v {
		t.Fatalf("get returned %p (%+v), want a copy of %p (%+v)", w, *w, v, *v)
	}
	if raw, err := mem.Get(t.Context(), "p/w"); err != nil || string(raw) != `{"world_id":"w1","default_policy_version":0}` {
		t.Fatalf("Get = %s, %v", raw, err)
	}
}
