package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// tx collects the writes of one batch and lets the fold read its own writes:
// a value is read from the store at most once per batch, changed in memory,
// and written once when the batch commits.
//
// Over a store that keeps Go values ([MemoryStore]) nothing is encoded or
// decoded: the fold gets its own copy of the stored value (see ownCopy) and
// the batch commits the changed values themselves. Over any other store a
// value is decoded when read and encoded at the commit.
type tx struct {
	store  Store
	values valueStore         // store, when it keeps Go values; nil otherwise
	objs   map[string]txValue // values read or written in this batch
	order  []string           // written keys, in the order of their first write
	sets   []Write            // set changes, in order
}

// txValue is a value a batch read or wrote.
type txValue struct {
	v       any // a pointer
	written bool
}

// valueStore is a [Store] that keeps the Go values of projections: it
// accepts a [Put] that carries the value in obj, and hands it back as it was
// committed. The values it returns are shared with concurrent readers and
// must not be modified.
type valueStore interface {
	Store
	// value returns what is stored under key; found is false when nothing
	// is (a batch looks up many keys that do not exist yet, so this is no
	// error to build).
	value(ctx context.Context, key string) (v *stored, found bool, err error)
}

// cloner is implemented by the value types that a fold may change in a
// shallow copy of (see ownCopy): clone returns a copy of the value that
// shares nothing the fold writes to.
type cloner[T any] interface {
	clone() *T
}

func newTx(store Store) *tx {
	t := &tx{store: store, objs: make(map[string]txValue)}
	t.values, _ = store.(valueStore)
	return t
}

// get returns the value under key as a *T that the fold may change: from
// this batch's writes, or the store's (a copy of it, or its decoding); found
// is false (and the pointer nil) when there is none.
func get[T any](ctx context.Context, t *tx, key string) (v *T, found bool, err error) {
	if o, ok := t.objs[key]; ok {
		p, ok := o.v.(*T)
		if !ok {
			return nil, false, fmt.Errorf("key %q holds %T, not %T", key, o.v, p)
		}
		return p, true, nil
	}
	var p *T
	if t.values != nil {
		sv, found, err := t.values.value(ctx, key)
		if err != nil || !found {
			return nil, false, err
		}
		if p, err = ownCopy[T](sv); err != nil {
			return nil, false, fmt.Errorf("copy %q: %w", key, err)
		}
	} else {
		raw, err := t.store.Get(ctx, key)
		if errors.Is(err, ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		p = new(T)
		if err := json.Unmarshal(raw, p); err != nil {
			return nil, false, fmt.Errorf("decode %q: %w", key, err)
		}
	}
	t.objs[key] = txValue{v: p}
	return p, true, nil
}

// ownCopy returns a copy of a stored value for a fold to change: the stored
// value itself may be read by concurrent readers, and must stay as it is if
// the batch fails. A *T whose type is a [cloner] is cloned, a packed one
// unpacked; anything else (another type, or committed as bytes) goes through
// its JSON encoding, as it would through a store that keeps bytes.
func ownCopy[T any](sv *stored) (*T, error) {
	if o, ok := sv.obj.(*T); ok {
		if c, ok := any(o).(cloner[T]); ok {
			return c.clone(), nil
		}
	}
	if sv.unpack != nil {
		// Unpacking makes a new value; it shares only bytes that never
		// change, which folds never write into.
		o, err := sv.object()
		if err != nil {
			return nil, err
		}
		if p, ok := o.(*T); ok {
			return p, nil
		}
	}
	raw, err := sv.bytes()
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	p := new(T)
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return p, nil
}

// readValue returns the committed value under key as a *T that the caller
// only reads: from a store that keeps Go values the value itself, neither
// copied nor decoded (a packed one unpacked), since committed values never
// change; from any other store a decoding of its bytes. A missing key wraps
// [ErrNotFound].
func readValue[T any](ctx context.Context, store Store, key string) (*T, error) {
	if vs, ok := store.(valueStore); ok {
		sv, found, err := vs.value(ctx, key)
		switch {
		case err != nil:
			return nil, err
		case !found:
			return nil, fmt.Errorf("get %q: %w", key, ErrNotFound)
		}
		o, err := sv.object()
		if err != nil {
			return nil, fmt.Errorf("get %q: %w", key, err)
		}
		if v, ok := o.(*T); ok {
			return v, nil
		}
	}
	raw, err := store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("decode %q: %w", key, err)
	}
	return v, nil
}

// put records v (a pointer) as the new value of key. From here on v belongs
// to the batch: once committed to a store that keeps Go values it is shared
// with readers, so the fold must not change it after the batch.
func (t *tx) put(key string, v any) {
	if !t.objs[key].written {
		t.order = append(t.order, key)
	}
	t.objs[key] = txValue{v: v, written: true}
}

// add records adding member to set.
func (t *tx) add(set, member string) { t.sets = append(t.sets, AddMember{Set: set, Member: member}) }

// remove records removing member from set.
func (t *tx) remove(set, member string) {
	t.sets = append(t.sets, RemoveMember{Set: set, Member: member})
}

// writes returns the batch: values in the order of their first write, then
// set changes. Values are encoded unless the store keeps Go values.
func (t *tx) writes() ([]Write, error) {
	out := make([]Write, 0, len(t.order)+len(t.sets))
	for _, key := range t.order {
		v := t.objs[key].v
		if t.values != nil {
			out = append(out, Put{Key: key, obj: v})
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode %q: %w", key, err)
		}
		out = append(out, Put{Key: key, Value: b})
	}
	return append(out, t.sets...), nil
}
