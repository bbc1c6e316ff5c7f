package storetest

import (
	"bytes"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// jsonString returns a JSON string literal of exactly size bytes.
func jsonString(size int) []byte {
	b := bytes.Repeat([]byte("x"), size)
	b[0], b[size-1] = '"', '"'
	// Vary the content so a store that mangles bytes is caught.
	for i := 1; i < size-1; i += 997 {
		b[i] = "0123456789abcdef"[i%16]
	}
	return b
}

// testLargePayload stores a payload of exactly events.MaxPayloadSize bytes and
// reads it back byte for byte; one byte more is rejected with
// events.ErrPayloadTooLarge, alone or beside a good event, and stores nothing.
func testLargePayload(t *testing.T, h Harness) {
	s, _ := newStore(t, h, Config{})
	big := event("large/max", 0)
	big.Payload = jsonString(events.MaxPayloadSize)
	res := mustAppend(t, s, "large/a", eventstore.NoStream{}, big)
	recs, err := s.ReadStream(testContext(t), "large/a", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || !bytes.Equal(recs[0].Payload, big.Payload) {
		t.Fatalf("payload of %d bytes did not read back byte-identical", len(big.Payload))
	}
	all, err := s.ReadAll(testContext(t), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || !bytes.Equal(all[0].Payload, big.Payload) {
		t.Fatal("payload did not read back byte-identical through ReadAll")
	}

	tooBig := event("large/over", 1)
	tooBig.Payload = jsonString(events.MaxPayloadSize + 1)
	_, err = s.Append(testContext(t), "large/b", eventstore.Any{}, tooBig)
	wantErr(t, "payload one byte over the limit", err, events.ErrPayloadTooLarge)
	_, err = s.Append(testContext(t), "large/b", eventstore.Any{}, event("large/ok", 2), tooBig)
	wantErr(t, "batch with one payload over the limit", err, events.ErrPayloadTooLarge)
	wantStreamVersion(t, s, "large/b", 0)
	if got := head(t, s); got != res.Position {
		t.Fatalf("head moved from %d to %d after rejected appends", res.Position, got)
	}
	verifyChains(t, s)
}
