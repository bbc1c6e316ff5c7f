package events

import (
	"bytes"
	"reflect"
	"sync"
)

// Bounds of a registry's cache of decoded payloads (see [Registry.Decode]).
const (
	// decodeCacheEntries is how many decoded payloads a registry keeps.
	decodeCacheEntries = 4096
	// decodeCacheMaxPayload is the largest payload kept; larger ones (a
	// risk snapshot with a full covariance) are decoded every time rather
	// than held.
	decodeCacheMaxPayload = 64 << 10
)

// decodeCache keeps the payloads a registry decoded most recently, by event
// id. In one process every stored event is decoded by the store's check on
// append and then by each subscriber that handles its type — the evaluator,
// the read models, the extended validation, the outbox — within
// milliseconds of each other; the cache makes that one decode. An entry is
// used only for an event with the same type, schema version and payload
// bytes as the one it was decoded from, so a hit returns exactly what a
// fresh decode would. It is safe for concurrent use.
type decodeCache struct {
	mu      sync.Mutex
	entries map[string]*decodedPayload
	// ring holds the ids in insertion order; next is the slot the next
	// insertion takes, evicting the id that held it.
	ring []string
	next int
}

// decodedPayload is one decoded payload and what it was decoded from.
type decodedPayload struct {
	typ     string
	version int
	payload []byte
	value   reflect.Value // a pointer to the decoded struct
}

func newDecodeCache() *decodeCache {
	return &decodeCache{entries: make(map[string]*decodedPayload, decodeCacheEntries), ring: make([]string, decodeCacheEntries)}
}

// get returns a copy of the payload decoded from e, if the cache holds it.
// The copy is a new struct: its fields can be set without touching other
// copies, while slices, maps and raw JSON inside it are shared.
func (c *decodeCache) get(e *Event) (any, bool) {
	if c == nil || e.ID == "" {
		return nil, false
	}
	c.mu.Lock()
	d := c.entries[e.ID]
	c.mu.Unlock()
	if d == nil || d.typ != e.Type || d.version != e.SchemaVersion || !bytes.Equal(d.payload, e.Payload) {
		return nil, false
	}
	cp := reflect.New(d.value.Elem().Type())
	cp.Elem().Set(d.value.Elem())
	return cp.Interface(), true
}

// put keeps value, the payload decoded from e (a pointer to a struct),
// evicting the oldest entry when the cache is full. It keeps its own copy
// of the struct, so that a caller setting fields of value changes nothing
// in the cache, and of the payload bytes unless owned says they never
// change.
func (c *decodeCache) put(e *Event, value any, owned bool) {
	if c == nil || e.ID == "" || len(e.Payload) > decodeCacheMaxPayload {
		return
	}
	v := reflect.ValueOf(value)
	own := reflect.New(v.Elem().Type())
	own.Elem().Set(v.Elem())
	payload := e.Payload
	if !owned {
		// The caller's bytes may be a buffer it reuses.
		payload = bytes.Clone(payload)
	}
	d := &decodedPayload{typ: e.Type, version: e.SchemaVersion, payload: payload, value: own}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[e.ID]; ok {
		c.entries[e.ID] = d
		return
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.entries, old)
	}
	c.ring[c.next] = e.ID
	c.next = (c.next + 1) % len(c.ring)
	c.entries[e.ID] = d
}
