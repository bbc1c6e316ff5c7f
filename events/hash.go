package events

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"time"
)

// GenesisHash is the PrevHash of the first event of every stream.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// hashDomain prefixes the canonical envelope so that the hash of an event can
// never collide with a hash of some other structure built from the same bytes.
const hashDomain = "worldval/event/v1"

// ComputeHash returns the hex SHA-256 of the record's canonical envelope: every
// field except GlobalPosition and Hash itself, each written as a length-prefixed
// byte string in a fixed order, timestamps as RFC 3339 with nanoseconds in UTC,
// integers in decimal. The payload enters as stored, byte for byte.
func (r *Record) ComputeHash() string {
	h := sha256.New()
	field(h, hashDomain)
	field(h, r.ID)
	field(h, r.Stream)
	field(h, strconv.FormatUint(r.StreamVersion, 10))
	field(h, r.Type)
	field(h, strconv.Itoa(r.SchemaVersion))
	field(h, FormatTime(r.OccurredAt))
	field(h, FormatTime(r.RecordedAt))
	field(h, r.Actor)
	field(h, r.CorrelationID)
	field(h, r.CausationID)
	field(h, r.IdempotencyKey)
	fieldBytes(h, r.Payload)
	field(h, r.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// Seal sets PrevHash to prev and Hash to the record's hash. Stores call it when
// they place an event in its stream.
func (r *Record) Seal(prev string) {
	r.PrevHash = prev
	r.Hash = r.ComputeHash()
}

func field(h hash.Hash, s string) { fieldBytes(h, []byte(s)) }

func fieldBytes(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// TimeLayout is the layout of every stored timestamp: UTC RFC 3339 with nine
// fractional digits, so that the text sorts like the instant.
const TimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// FormatTime formats t in [TimeLayout] after converting it to UTC. The zero
// time formats as the empty string.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// ParseTime parses a timestamp written by [FormatTime]; the empty string is
// the zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse timestamp %q: %w", s, err)
	}
	return t.UTC(), nil
}

// ChainVerifier checks the hash chains of events read in global order (or any
// order that keeps each stream's events in version order). It is not safe for
// concurrent use.
type ChainVerifier struct {
	heads map[string]chainHead
}

type chainHead struct {
	version uint64
	hash    string
}

// NewChainVerifier returns a verifier that has seen no event.
func NewChainVerifier() *ChainVerifier {
	return &ChainVerifier{heads: make(map[string]chainHead)}
}

// Verify checks one record: its version follows its stream's previous event
// without a gap, its PrevHash is that event's hash, and its Hash matches its
// content. A failure wraps [ErrChainBroken] and names the event.
func (v *ChainVerifier) Verify(r *Record) error {
	head, seen := v.heads[r.Stream]
	wantPrev, wantVersion := GenesisHash, uint64(1)
	if seen {
		wantPrev, wantVersion = head.hash, head.version+1
	}
	broken := func(format string, args ...any) error {
		return fmt.Errorf("%w: event %s (stream %q version %d, position %d): %s",
			ErrChainBroken, r.ID, r.Stream, r.StreamVersion, r.GlobalPosition, fmt.Sprintf(format, args...))
	}
	if r.StreamVersion != wantVersion {
		return broken("expected version %d", wantVersion)
	}
	if r.PrevHash != wantPrev {
		return broken("prev_hash %.12s… does not match the previous event's hash %.12s…", r.PrevHash, wantPrev)
	}
	if got := r.ComputeHash(); got != r.Hash {
		return broken("content hash %.12s… does not match the stored hash %.12s…", got, r.Hash)
	}
	v.heads[r.Stream] = chainHead{version: r.StreamVersion, hash: r.Hash}
	return nil
}

// Streams returns the number of streams seen so far.
func (v *ChainVerifier) Streams() int { return len(v.heads) }
