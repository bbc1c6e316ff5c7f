package events

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// idNamespace separates worldval's name-based ids from any other UUIDs derived
// from the same strings. The bytes were drawn at random once and are fixed
// forever: changing them would change every stored event id.
const idNamespace = "\x6b\x1d\x3f\x8c\x52\x0e\x5a\x41\x9b\x7e\x2c\x44\xd0\x91\xa3\x5f"

// idNamespaceIndexed prefixes the hash input of the ids of a command's later
// events (index > 0). It differs from idNamespace in its first 16 bytes, so no
// key can make an indexed id collide with a first-event id, and the index is a
// fixed-width field before the key, so no key can make two indexed ids collide.
const idNamespaceIndexed = "\x6b\x1d\x3f\x8c\x52\x0e\x5a\x41\x9b\x7e\x2c\x44\xd0\x91\xa3\x60"

// IDFromKey derives the event id of the first event of a command from the
// command's idempotency key. The same key always yields the same id, which is
// what makes a retried append a no-op. The id is an RFC 9562 version 8
// (custom) UUID built from SHA-256 over a fixed namespace and the key.
func IDFromKey(key string) string {
	return IDFromKeyN(key, 0)
}

// IDFromKeyN derives the id of the n-th event (0-based) a command produces,
// for commands that append several events at once. IDFromKeyN(k, 0) equals
// IDFromKey(k); distinct (key, n) pairs give distinct ids (up to SHA-256
// collisions). It panics when n is negative, a programming error.
func IDFromKeyN(key string, n int) string {
	if n < 0 {
		panic(fmt.Sprintf("events.IDFromKeyN: negative index %d", n))
	}
	h := sha256.New()
	if n == 0 {
		h.Write([]byte(idNamespace))
	} else {
		h.Write([]byte(idNamespaceIndexed))
		var idx [8]byte
		binary.BigEndian.PutUint64(idx[:], uint64(n))
		h.Write(idx[:])
	}
	h.Write([]byte(key))
	var sum [32]byte
	h.Sum(sum[:0])
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = (u[6] & 0x0f) | 0x80 // version 8
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
