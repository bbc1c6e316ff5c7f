package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/worldval/worldval/events"
)

// exportLine is one line of a world export (audit export, audit verify
// --file): a stored record with every field its hash covers, its chain
// fields and its global position. Timestamps are written as the store keeps
// them ([events.FormatTime]).
//
// The payload is the stored payload byte for byte, since the hash covers
// those bytes: as JSON in "payload" when it can sit on one line unchanged,
// else (literal line breaks or surrounding white space in the stored JSON,
// invalid UTF-8) base64 in "payload_base64". The global position is not
// covered by any hash (history may be copied between stores); the verifier
// only checks that it increases.
type exportLine struct {
	GlobalPosition uint64          `json:"global_position"`
	Stream         string          `json:"stream"`
	StreamVersion  uint64          `json:"stream_version"`
	ID             string          `json:"event_id"`
	Type           string          `json:"type"`
	SchemaVersion  int             `json:"schema_version"`
	OccurredAt     string          `json:"occurred_at"`
	RecordedAt     string          `json:"recorded_at"`
	Actor          string          `json:"actor,omitempty"`
	CorrelationID  string          `json:"correlation_id,omitempty"`
	CausationID    string          `json:"causation_id,omitempty"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	PrevHash       string          `json:"prev_hash"`
	Hash           string          `json:"hash"`
	PayloadBase64  string          `json:"payload_base64,omitempty"`
	Payload        json.RawMessage `json:"payload,omitempty"`
}

// encodeExportLine appends rec as one export line, with its newline, to dst.
func encodeExportLine(dst []byte, rec *events.Record) ([]byte, error) {
	l := exportLine{
		GlobalPosition: rec.GlobalPosition, Stream: rec.Stream, StreamVersion: rec.StreamVersion,
		ID: rec.ID, Type: rec.Type, SchemaVersion: rec.SchemaVersion,
		OccurredAt: events.FormatTime(rec.OccurredAt), RecordedAt: events.FormatTime(rec.RecordedAt),
		Actor: rec.Actor, CorrelationID: rec.CorrelationID, CausationID: rec.CausationID, IdempotencyKey: rec.IdempotencyKey,
		PrevHash: rec.PrevHash, Hash: rec.Hash,
	}
	raw := lineSafe(rec.Payload)
	if !raw {
		l.PayloadBase64 = base64.StdEncoding.EncodeToString(rec.Payload)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep text fields as stored, readable
	if err := enc.Encode(l); err != nil {
		return dst, fmt.Errorf("encode %s version %d: %w", rec.Stream, rec.StreamVersion, err)
	}
	head := bytes.TrimSuffix(buf.Bytes(), []byte("}\n"))
	dst = append(dst, head...)
	if raw {
		// Spliced in rather than encoded: encoding/json would re-compact
		// and re-escape it, and the hash covers the stored bytes.
		dst = append(dst, `,"payload":`...)
		dst = append(dst, rec.Payload...)
	}
	return append(dst, "}\n"...), nil
}

// lineSafe reports whether a stored payload survives as raw JSON on one line
// and is read back byte for byte: no literal line break, no white space
// around the value (a JSON decoder drops it), valid UTF-8.
func lineSafe(p []byte) bool {
	return len(p) > 0 && len(bytes.TrimSpace(p)) == len(p) && !bytes.ContainsAny(p, "\r\n") && utf8.Valid(p) && json.Valid(p)
}

// errBadLine marks a line that is not an export record at all.
var errBadLine = errors.New("not an export record")

// decodeExportLine reads one export line back into the stored record.
func decodeExportLine(line []byte) (*events.Record, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var l exportLine
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadLine, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value on the line", errBadLine)
	}
	rec := &events.Record{
		Event: events.Event{
			ID: l.ID, Type: l.Type, SchemaVersion: l.SchemaVersion,
			Actor: l.Actor, CorrelationID: l.CorrelationID, CausationID: l.CausationID, IdempotencyKey: l.IdempotencyKey,
		},
		Stream: l.Stream, StreamVersion: l.StreamVersion, GlobalPosition: l.GlobalPosition,
		PrevHash: l.PrevHash, Hash: l.Hash,
	}
	switch {
	case l.Stream == "" || l.ID == "" || l.Type == "" || l.Hash == "" || l.PrevHash == "":
		return nil, fmt.Errorf("%w: stream, event_id, type, prev_hash and hash are required", errBadLine)
	case len(l.Payload) > 0 && l.PayloadBase64 != "":
		return nil, fmt.Errorf("%w: both payload and payload_base64", errBadLine)
	case len(l.Payload) > 0:
		rec.Payload = l.Payload
	case l.PayloadBase64 != "":
		p, err := base64.StdEncoding.DecodeString(l.PayloadBase64)
		if err != nil {
			return nil, fmt.Errorf("%w: payload_base64: %v", errBadLine, err)
		}
		rec.Payload = p
	default:
		return nil, fmt.Errorf("%w: no payload", errBadLine)
	}
	var err error
	if rec.OccurredAt, err = events.ParseTime(l.OccurredAt); err != nil {
		return nil, fmt.Errorf("%w: occurred_at: %v", errBadLine, err)
	}
	if rec.RecordedAt, err = events.ParseTime(l.RecordedAt); err != nil {
		return nil, fmt.Errorf("%w: recorded_at: %v", errBadLine, err)
	}
	return rec, nil
}
