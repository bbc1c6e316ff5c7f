package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// tx collects the writes of one batch and lets the fold read its own writes:
// a value is decoded from the store at most once per batch, changed in
// memory, and encoded once when the batch commits.
type tx struct {
	store Store
	objs  map[string]any // decoded values read or written in this batch
	dirty map[string]bool
	order []string // dirty keys in first-touch order
	sets  []Write  // set changes, in order
}

func newTx(store Store) *tx {
	return &tx{store: store, objs: make(map[string]any), dirty: make(map[string]bool)}
}

// get decodes the value under key into a *T, from this batch's writes or the
// store; found is false (and the pointer nil) when there is none.
func get[T any](ctx context.Context, t *tx, key string) (v *T, found bool, err error) {
	if o, ok := t.objs[key]; ok {
		p, ok := o.(*T)
		if !ok {
			return nil, false, fmt.Errorf("key %q holds %T, not %T", key, o, p)
		}
		return p, true, nil
	}
	raw, err := t.store.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	p := new(T)
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, false, fmt.Errorf("decode %q: %w", key, err)
	}
	t.objs[key] = p
	return p, true, nil
}

// put records v (a pointer) as the new value of key.
func (t *tx) put(key string, v any) {
	if !t.dirty[key] {
		t.dirty[key] = true
		t.order = append(t.order, key)
	}
	t.objs[key] = v
}

// add records adding member to set.
func (t *tx) add(set, member string) { t.sets = append(t.sets, AddMember{Set: set, Member: member}) }

// remove records removing member from set.
func (t *tx) remove(set, member string) {
	t.sets = append(t.sets, RemoveMember{Set: set, Member: member})
}

// writes encodes the batch: values in first-touch order, then set changes.
func (t *tx) writes() ([]Write, error) {
	out := make([]Write, 0, len(t.order)+len(t.sets))
	for _, key := range t.order {
		b, err := json.Marshal(t.objs[key])
		if err != nil {
			return nil, fmt.Errorf("encode %q: %w", key, err)
		}
		out = append(out, Put{Key: key, Value: b})
	}
	return append(out, t.sets...), nil
}
