package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"time"
)

// Upcaster rewrites a payload of one schema version into the layout of the
// next version. Upcasters run on read; stored history is never rewritten.
type Upcaster func(old json.RawMessage) (json.RawMessage, error)

// TypeSpec describes one event type of the catalogue.
type TypeSpec struct {
	// Name is the stored type name.
	Name string
	// Payload is a zero value of the payload struct of the current version
	// (a struct value, not a pointer).
	Payload any
	// Version is the current schema version (1 when absent).
	Version int
	// Upcasters maps a version v to the function that turns a version-v
	// payload into version v+1. Every version below Version needs one.
	Upcasters map[int]Upcaster
}

// Registry maps event type names to payload types and schema versions. Build it
// once at start (see [Catalogue]); after that it is read-only and safe for
// concurrent use.
type Registry struct {
	types map[string]TypeSpec
	byGo  map[reflect.Type]string
	// decoded keeps recently decoded payloads (decodecache.go).
	decoded *decodeCache
}

// NewRegistry returns a registry holding the given types. It fails on a
// duplicate name, a non-struct payload, or a missing upcaster.
func NewRegistry(specs ...TypeSpec) (*Registry, error) {
	r := &Registry{types: make(map[string]TypeSpec, len(specs)), byGo: make(map[reflect.Type]string, len(specs)), decoded: newDecodeCache()}
	for _, s := range specs {
		if s.Version == 0 {
			s.Version = 1
		}
		t := reflect.TypeOf(s.Payload)
		switch {
		case s.Name == "":
			return nil, fmt.Errorf("register event type: empty name")
		case s.Version < 0:
			return nil, fmt.Errorf("register event type %s: schema version %d < 1", s.Name, s.Version)
		case t == nil || t.Kind() != reflect.Struct:
			return nil, fmt.Errorf("register event type %s: payload must be a struct value, got %T", s.Name, s.Payload)
		case r.types[s.Name].Name != "":
			return nil, fmt.Errorf("register event type %s: duplicate name", s.Name)
		}
		if prev, dup := r.byGo[t]; dup {
			return nil, fmt.Errorf("register event type %s: payload %s already registered as %s", s.Name, t, prev)
		}
		for v := 1; v < s.Version; v++ {
			if s.Upcasters[v] == nil {
				return nil, fmt.Errorf("register event type %s: no upcaster from version %d to %d", s.Name, v, v+1)
			}
		}
		r.types[s.Name] = s
		r.byGo[t] = s.Name
	}
	return r, nil
}

// MustRegistry is [NewRegistry] for catalogues fixed at compile time; it
// panics on a programming error in the catalogue.
func MustRegistry(specs ...TypeSpec) *Registry {
	r, err := NewRegistry(specs...)
	if err != nil {
		panic(err)
	}
	return r
}

// Names returns the registered type names in lexicographic order.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.types))
	for n := range r.types {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Check reports whether a stored or about-to-be-stored event is acceptable to
// this catalogue: its type is registered, its schema version is not newer than
// the current one, and its payload decodes into the payload type.
func (r *Registry) Check(e *Event) error {
	if _, err := r.decode(e, false); err != nil {
		return err
	}
	return nil
}

// CheckOwned is [Registry.Check] for an event store that owns e.Payload:
// the caller guarantees that nothing modifies those bytes afterwards, so the
// decode cache keeps them instead of a copy of its own (a store's check on
// append is the first decode of every event, and the store then shares the
// same bytes with its subscribers).
func (r *Registry) CheckOwned(e *Event) error {
	if _, err := r.decode(e, true); err != nil {
		return err
	}
	return nil
}

// Meta is what a producer says about an event besides its payload.
type Meta struct {
	// IdempotencyKey of the command; with Index it yields the event id.
	IdempotencyKey string
	// Index of the event among the events the command produces (0-based).
	Index int
	// OccurredAt is when the fact happened in the domain; it is stored in UTC.
	OccurredAt time.Time
	// Actor is the principal that caused the event.
	Actor string
	// CorrelationID groups the events of one business flow.
	CorrelationID string
	// CausationID is the id of the event or message that caused this one.
	CausationID string
}

// New builds an event from a payload struct (value or pointer) of a registered
// type at its current schema version. The id is derived from the meta's
// idempotency key and index, which must not be empty.
func (r *Registry) New(payload any, m Meta) (Event, error) {
	t := reflect.TypeOf(payload)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name, ok := r.byGo[t]
	if !ok {
		return Event{}, fmt.Errorf("%w: payload type %v", ErrUnknownType, t)
	}
	switch v := reflect.ValueOf(payload); {
	case v.Kind() == reflect.Pointer && v.IsNil():
		return Event{}, fmt.Errorf("new %s event: %w: nil payload", name, ErrInvalidEvent)
	case m.IdempotencyKey == "":
		return Event{}, fmt.Errorf("new %s event: %w: empty idempotency key", name, ErrInvalidEvent)
	case m.Index < 0:
		return Event{}, fmt.Errorf("new %s event: %w: negative index %d", name, ErrInvalidEvent, m.Index)
	}
	body, err := Marshal(payload)
	if err != nil {
		return Event{}, fmt.Errorf("new %s event: %w", name, err)
	}
	return Event{
		ID:             IDFromKeyN(m.IdempotencyKey, m.Index),
		Type:           name,
		SchemaVersion:  r.types[name].Version,
		OccurredAt:     m.OccurredAt.UTC(),
		Actor:          m.Actor,
		CorrelationID:  m.CorrelationID,
		CausationID:    m.CausationID,
		IdempotencyKey: m.IdempotencyKey,
		Payload:        body,
	}, nil
}

// Decode returns the payload of e as a pointer to its registered struct, after
// upcasting it to the current schema version. Unknown fields are an error, so
// a malformed or foreign payload is caught rather than silently half-read.
//
// The registry remembers the payloads it decoded last, by event id, and
// answers the same event (same type, schema version and payload bytes) from
// memory: a stored event is decoded once per process, not once per
// subscriber. Each call returns its own struct, but the slices, maps and raw
// JSON inside may be shared with other callers' copies: treat them as
// read-only.
func (r *Registry) Decode(e *Event) (any, error) {
	return r.decode(e, false)
}

// decode is Decode; owned tells the decode cache that e.Payload never
// changes (see [Registry.CheckOwned]).
func (r *Registry) decode(e *Event, owned bool) (any, error) {
	spec, ok := r.types[e.Type]
	if !ok {
		return nil, fmt.Errorf("%w: %q (event %s)", ErrUnknownType, e.Type, e.ID)
	}
	if e.SchemaVersion < 1 || e.SchemaVersion > spec.Version {
		return nil, fmt.Errorf("%w: event %s (%s): schema version %d, this build knows 1..%d",
			ErrInvalidEvent, e.ID, e.Type, e.SchemaVersion, spec.Version)
	}
	if v, ok := r.decoded.get(e); ok {
		return v, nil
	}
	body := e.Payload
	if e.SchemaVersion < spec.Version {
		// Upcasters get a copy: one that edits its input in place must not
		// rewrite the stored bytes (history is never rewritten).
		body = bytes.Clone(body)
	}
	for v := e.SchemaVersion; v < spec.Version; v++ {
		up, err := spec.Upcasters[v](body)
		if err != nil {
			return nil, fmt.Errorf("upcast event %s (%s) from version %d: %w", e.ID, e.Type, v, err)
		}
		body = up
	}
	// The payload must be exactly one JSON object. The decoder alone would
	// accept null (leaving the zero struct) and stop after the first value,
	// ignoring whatever follows, so the first byte is checked before and the
	// rest after. The decoder checks the syntax of the value it reads, so the
	// body needs no validation pass of its own: together the three accept
	// exactly the bodies that are valid JSON and start with '{'.
	if err := startsObject(body); err != nil {
		return nil, fmt.Errorf("%w: event %s (%s): %w", ErrInvalidEvent, e.ID, e.Type, err)
	}
	ptr := reflect.New(reflect.TypeOf(spec.Payload))
	if decodeFast(ptr.Interface(), body) {
		// The payloads of every verdict, read without reflection; anything
		// unusual in them (see fastpayload.go) is read below instead.
		r.decoded.put(e, ptr.Interface(), owned)
		return ptr.Interface(), nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr.Interface()); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: event %s (%s): payload is not valid JSON: %w", ErrInvalidEvent, e.ID, e.Type, err)
		}
		return nil, fmt.Errorf("%w: event %s (%s): payload: %w", ErrInvalidEvent, e.ID, e.Type, err)
	}
	if err := onlySpace(body, dec.InputOffset()); err != nil {
		return nil, fmt.Errorf("%w: event %s (%s): %w", ErrInvalidEvent, e.ID, e.Type, err)
	}
	r.decoded.put(e, ptr.Interface(), owned)
	return ptr.Interface(), nil
}

// startsObject reports whether the first byte of body after JSON whitespace
// opens an object.
func startsObject(body []byte) error {
	switch b := bytes.TrimLeft(body, jsonSpace); {
	case len(b) == 0:
		return errors.New("payload is empty")
	case b[0] != '{':
		return errors.New("payload is not a JSON object")
	}
	return nil
}

// onlySpace reports whether body holds nothing but JSON whitespace from
// offset on, where the decoder finished the object.
func onlySpace(body []byte, offset int64) error {
	rest := body[offset:]
	if i := len(rest) - len(bytes.TrimLeft(rest, jsonSpace)); i < len(rest) {
		return fmt.Errorf("payload has data after the JSON object, at byte %d", offset+int64(i))
	}
	return nil
}

// jsonSpace is the whitespace JSON allows between tokens.
const jsonSpace = " \t\r\n"

// Marshal encodes a payload as compact JSON without HTML escaping, the form
// stored and hashed: what encoding/json's Encoder writes with
// SetEscapeHTML(false), without the trailing newline. The payloads of every
// verdict and decoded JSON documents (map[string]any) are written without
// reflection, to the same bytes.
func Marshal(v any) (json.RawMessage, error) {
	if b, ok := marshalFast(v); ok {
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// DecodeAs decodes the payload of e into a *T through the registry.
func DecodeAs[T any](r *Registry, e *Event) (*T, error) {
	v, err := r.Decode(e)
	if err != nil {
		return nil, err
	}
	p, ok := v.(*T)
	if !ok {
		var zero T
		return nil, fmt.Errorf("%w: event %s is %s, not %T", ErrInvalidEvent, e.ID, e.Type, zero)
	}
	return p, nil
}
