// Package genmap provides a bounded map that keeps what was used recently:
// a cache of two generations, the current one and the one before it.
//
// Entries are put in the current generation. When it is full, it becomes
// the old generation and a new current one starts; the entries of the
// former old generation that nothing asked for since are forgotten. An
// entry found in the old generation moves to the current one. So an entry
// used at least once per generation stays, the map holds at most twice its
// generation's size, and forgetting costs no bookkeeping per access (no
// list to maintain, unlike a strict LRU): it suits caches whose entries are
// hot for a while and then never asked for again, such as the streams of
// runs being evaluated.
package genmap

// Map is a two-generation map. The zero value is not usable; call [New].
// A Map is not safe for concurrent use.
type Map[K comparable, V any] struct {
	cur, old map[K]V
	size     int
}

// New returns a map whose generations hold size entries (at least 1).
func New[K comparable, V any](size int) *Map[K, V] {
	size = max(size, 1)
	return &Map[K, V]{cur: make(map[K]V), size: size}
}

// Get returns the value of key, moving it to the current generation when
// it is found in the old one.
func (m *Map[K, V]) Get(key K) (V, bool) {
	if v, ok := m.cur[key]; ok {
		return v, true
	}
	v, ok := m.old[key]
	if ok {
		delete(m.old, key)
		m.put(key, v)
	}
	return v, ok
}

// Put sets the value of key in the current generation.
func (m *Map[K, V]) Put(key K, v V) {
	delete(m.old, key)
	m.put(key, v)
}

// put sets key in the current generation, which it first retires when it
// is full.
func (m *Map[K, V]) put(key K, v V) {
	if _, ok := m.cur[key]; !ok && len(m.cur) >= m.size {
		m.old, m.cur = m.cur, make(map[K]V, m.size)
	}
	m.cur[key] = v
}

// Delete forgets key.
func (m *Map[K, V]) Delete(key K) {
	delete(m.cur, key)
	delete(m.old, key)
}

// Len returns how many entries the map holds, in both generations.
func (m *Map[K, V]) Len() int { return len(m.cur) + len(m.old) }

// Clear forgets every entry.
func (m *Map[K, V]) Clear() {
	clear(m.cur)
	m.old = nil
}
