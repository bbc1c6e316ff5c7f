package events

import (
	"crypto/sha256"
	"fmt"
	"strconv"
)

// idNamespace separates worldval's name-based ids from any other UUIDs derived
// from the same strings. The bytes were drawn at random once and are fixed
// forever: changing them would change every stored event id.
var idNamespace = [16]byte{0x6b, 0x1d, 0x3f, 0x8c, 0x52, 0x0e, 0x5a, 0x41, 0x9b, 0x7e, 0x2c, 0x44, 0xd0, 0x91, 0xa3, 0x5f}

// IDFromKey derives the event id of the first event of a command from the
// command's idempotency key. The same key always yields the same id, which is
// what makes a retried append a no-op. The id is an RFC 9562 version 8
// (custom) UUID built from SHA-256 over a fixed namespace and the key.
func IDFromKey(key string) string {
	return IDFromKeyN(key, 0)
}

// IDFromKeyN derives the id of the n-th event (0-based) a command produces,
// for commands that append several events at once. IDFromKeyN(k, 0) equals
// IDFromKey(k).
func IDFromKeyN(key string, n int) string {
	h := sha256.New()
	h.Write(idNamespace[:])
	h.Write([]byte(key))
	if n > 0 {
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(n)))
	}
	var sum [32]byte
	h.Sum(sum[:0])
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = (u[6] & 0x0f) | 0x80 // version 8
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
