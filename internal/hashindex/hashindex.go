// Package hashindex finds values by a string key through a map with no
// pointers in it, which the garbage collector neither marks nor scans
// however many keys it holds.
//
// The index maps a hash of each key to its value, and reads the key back
// from the value (the caller keeps keys in memory of its own, such as large
// byte slabs) to tell the key apart from another of the same hash. The few
// keys whose hash another key already has go in a small map of their own.
package hashindex

import (
	"hash/maphash"
	"iter"
	"strings"
)

// Index maps string keys to values of type V. The zero value is not
// usable; call [New]. An Index is not safe for concurrent use.
type Index[V comparable] struct {
	keyOf  func(V) string
	hash   func(string) uint64
	seed   maphash.Seed
	byHash map[uint64]V
	clash  map[string]V
}

// New returns an empty index that reads each value's key with keyOf. hash,
// when not nil, replaces the index's seeded hash of keys (tests make keys
// clash with it).
func New[V comparable](keyOf func(V) string, hash func(string) uint64) *Index[V] {
	return &Index[V]{keyOf: keyOf, hash: hash, seed: maphash.MakeSeed(), byHash: map[uint64]V{}}
}

// sum returns the hash of key.
func (x *Index[V]) sum(key string) uint64 {
	if x.hash != nil {
		return x.hash(key)
	}
	return maphash.String(x.seed, key)
}

// Get returns the value of key.
func (x *Index[V]) Get(key string) (V, bool) {
	if v, ok := x.byHash[x.sum(key)]; ok && x.keyOf(v) == key {
		return v, true
	}
	v, ok := x.clash[key]
	return v, ok
}

// Has reports whether v is the value of key.
func (x *Index[V]) Has(key string, v V) bool {
	had, ok := x.Get(key)
	return ok && had == v
}

// Put sets the value of key. keyOf must read key back from v.
func (x *Index[V]) Put(key string, v V) {
	h := x.sum(key)
	if had, ok := x.byHash[h]; ok && x.keyOf(had) != key {
		if x.clash == nil {
			x.clash = map[string]V{}
		}
		// A copy: the key may share memory of the caller's that changes,
		// and assigning to the map replaces the key it holds too.
		x.clash[strings.Clone(key)] = v
		return
	}
	x.byHash[h] = v
	delete(x.clash, key) // its hash's holder gone, it moved up
}

// Delete removes key and returns the value it had.
func (x *Index[V]) Delete(key string) (V, bool) {
	h := x.sum(key)
	if v, ok := x.byHash[h]; ok && x.keyOf(v) == key {
		delete(x.byHash, h)
		return v, true
	}
	v, ok := x.clash[key]
	if ok {
		delete(x.clash, key)
	}
	return v, ok
}

// Len returns how many keys the index holds.
func (x *Index[V]) Len() int { return len(x.byHash) + len(x.clash) }

// Values returns every value, in no particular order.
func (x *Index[V]) Values() iter.Seq[V] {
	return func(yield func(V) bool) {
		for _, v := range x.byHash {
			if !yield(v) {
				return
			}
		}
		for _, v := range x.clash {
			if !yield(v) {
				return
			}
		}
	}
}
