// Package cloudevents is worldval's message envelope on Kafka: a CloudEvents
// 1.0 event in structured JSON mode (spec risk-hub §4.2), the form of every
// command producers send to the ingress topics and of every integration event
// the outbox publishes. Producers that write Go import it to build the same
// envelope the service reads.
//
// The package depends on the standard library only.
package cloudevents

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// SpecVersion is the only CloudEvents version worldval reads and writes.
const SpecVersion = "1.0"

// DataContentType is the content type of every event's data: JSON.
const DataContentType = "application/json"

// ContentType is the Kafka content-type header value of a structured-mode
// CloudEvent (the whole envelope is the record's value).
const ContentType = "application/cloudevents+json"

// TimeLayout is how [Event.Time] is written: RFC 3339 in UTC with
// microseconds and a "+00:00" offset, as QMTL writes it (risk-hub §4.2).
const TimeLayout = "2006-01-02T15:04:05.000000-07:00"

// MaxIDLength bounds the id attribute, in bytes: the id is the command's
// idempotency key, whose limit is the HTTP API's.
const MaxIDLength = 256

// ErrInvalid reports a message that is not a CloudEvent worldval accepts:
// malformed JSON, a missing or malformed attribute, data that is not a JSON
// object. Errors from [Parse] wrap it with the reason.
var ErrInvalid = errors.New("invalid CloudEvent")

// Event is one CloudEvent. Data is a JSON object; the rest are the context
// attributes worldval uses. Unknown extension attributes are ignored on
// reading and never written.
type Event struct {
	// SpecVersion is always [SpecVersion].
	SpecVersion string `json:"specversion"`
	// ID identifies the event. On a command it is the command's
	// idempotency key: a producer that re-sends a command must re-send the
	// same id. On an integration event it is the id of the stored event it
	// announces, so consumers de-duplicate on it.
	ID string `json:"id"`
	// Source names the producer, e.g. "worldval" for the service's own
	// integration events or a strategy runner's name for its commands.
	Source string `json:"source"`
	// Type is the command or event type, e.g. "submit_evaluation_run" or
	// "evaluation_run_created".
	Type string `json:"type"`
	// Time is when the producer created the event, RFC 3339 (optional on
	// commands).
	Time string `json:"time,omitempty"`
	// DataContentType is [DataContentType] or empty.
	DataContentType string `json:"datacontenttype,omitempty"`
	// Subject optionally names what the event is about (worldval writes the
	// world id).
	Subject string `json:"subject,omitempty"`
	// CorrelationID groups the events of one business flow. QMTL's name for
	// it, kept for wire compatibility although CloudEvents attribute names
	// may not hold "_" (risk-hub O8).
	CorrelationID string `json:"correlation_id,omitempty"`
	// CorrelationIDExt is the same value under a legal CloudEvents
	// extension name; worldval writes both and reads either.
	CorrelationIDExt string `json:"correlationid,omitempty"`
	// Data is the event body, a JSON object.
	Data json.RawMessage `json:"data"`
}

// Correlation returns the event's correlation id from either attribute.
func (e *Event) Correlation() string {
	if e.CorrelationID != "" {
		return e.CorrelationID
	}
	return e.CorrelationIDExt
}

// SetCorrelation sets the correlation id under both attribute names.
func (e *Event) SetCorrelation(id string) {
	e.CorrelationID, e.CorrelationIDExt = id, id
}

// ParsedTime returns the event's time, or false when it has none.
func (e *Event) ParsedTime() (time.Time, bool) {
	if e.Time == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, e.Time)
	return t, err == nil
}

// FormatTime writes t as [TimeLayout] expects.
func FormatTime(t time.Time) string {
	return t.UTC().Format(TimeLayout)
}

// Parse decodes one structured-mode CloudEvent and checks it: a single JSON
// object with specversion "1.0", non-empty id (at most [MaxIDLength] bytes,
// UTF-8 without control characters), source and type, a time that is RFC 3339
// when present, datacontenttype application/json when present, and data
// that is a JSON object. Every failure wraps [ErrInvalid].
func Parse(value []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(bytes.NewReader(value))
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("%w: not a JSON object: %v", ErrInvalid, err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("%w: data after the JSON object", ErrInvalid)
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Validate checks the attributes as [Parse] does.
func (e *Event) Validate() error {
	switch {
	case e.SpecVersion != SpecVersion:
		return fmt.Errorf("%w: specversion %q, want %q", ErrInvalid, e.SpecVersion, SpecVersion)
	case e.ID == "":
		return fmt.Errorf("%w: id is missing (it is the command's idempotency key)", ErrInvalid)
	case len(e.ID) > MaxIDLength:
		return fmt.Errorf("%w: id is %d bytes, at most %d", ErrInvalid, len(e.ID), MaxIDLength)
	case !printable(e.ID):
		return fmt.Errorf("%w: id must be UTF-8 text without control characters", ErrInvalid)
	case e.Source == "":
		return fmt.Errorf("%w: source is missing", ErrInvalid)
	case e.Type == "":
		return fmt.Errorf("%w: type is missing", ErrInvalid)
	case e.DataContentType != "" && e.DataContentType != DataContentType:
		return fmt.Errorf("%w: datacontenttype %q, want %q", ErrInvalid, e.DataContentType, DataContentType)
	case e.CorrelationID != "" && e.CorrelationIDExt != "" && e.CorrelationID != e.CorrelationIDExt:
		return fmt.Errorf("%w: correlation_id and correlationid differ", ErrInvalid)
	}
	if _, ok := e.ParsedTime(); e.Time != "" && !ok {
		return fmt.Errorf("%w: time %q is not RFC 3339", ErrInvalid, e.Time)
	}
	data := bytes.TrimSpace(e.Data)
	if len(data) == 0 || data[0] != '{' {
		return fmt.Errorf("%w: data must be a JSON object", ErrInvalid)
	}
	return nil
}

// Marshal encodes e as compact JSON, filling SpecVersion and
// DataContentType when empty.
func Marshal(e Event) ([]byte, error) {
	if e.SpecVersion == "" {
		e.SpecVersion = SpecVersion
	}
	if e.DataContentType == "" {
		e.DataContentType = DataContentType
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode CloudEvent %s: %w", e.ID, err)
	}
	return b, nil
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
