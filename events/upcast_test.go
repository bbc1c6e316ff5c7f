package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/worldval/worldval/events"
)

// greetingV2 is the version-2 layout of a test event: version 1 had a single
// "name" field, version 2 splits it and adds a language that defaults to "en".
type greetingV2 struct {
	First    string `json:"first"`
	Last     string `json:"last"`
	Language string `json:"language"`
}

// greetingV1ToV2 upcasts a version-1 greeting. It deliberately edits its input
// in place before building the result, to prove that Decode hands it a copy.
func greetingV1ToV2(old json.RawMessage) (json.RawMessage, error) {
	var v1 struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(old, &v1); err != nil {
		return nil, err
	}
	for i := range old {
		old[i] = ' '
	}
	first, last, _ := bytes.Cut([]byte(v1.Name), []byte(" "))
	return json.Marshal(greetingV2{First: string(first), Last: string(last), Language: "en"})
}

func greetingRegistry(t *testing.T) *events.Registry {
	t.Helper()
	reg, err := events.NewRegistry(events.TypeSpec{
		Name:      "Greeted",
		Payload:   greetingV2{},
		Version:   2,
		Upcasters: map[int]events.Upcaster{1: greetingV1ToV2},
	})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestUpcastVersion1ToVersion2(t *testing.T) {
	reg := greetingRegistry(t)
	stored := json.RawMessage(`{"name":"Ada Lovelace"}`)
	ev := events.Event{ID: events.IDFromKey("greet"), Type: "Greeted", SchemaVersion: 1, Payload: stored}
	before := bytes.Clone(stored)

	got, err := events.DecodeAs[greetingV2](reg, &ev)
	if err != nil {
		t.Fatalf("decode version 1: %v", err)
	}
	if want := (greetingV2{First: "Ada", Last: "Lovelace", Language: "en"}); *got != want {
		t.Fatalf("decoded %+v, want %+v", *got, want)
	}
	if !bytes.Equal(ev.Payload, before) || ev.SchemaVersion != 1 {
		t.Fatalf("stored event changed by decoding: version %d payload %q, want 1 %q", ev.SchemaVersion, ev.Payload, before)
	}

	// A version-2 event decodes without the upcaster.
	ev2 := events.Event{ID: events.IDFromKey("greet2"), Type: "Greeted", SchemaVersion: 2, Payload: json.RawMessage(`{"first":"Alan","last":"Turing","language":"en"}`)}
	if got, err := events.DecodeAs[greetingV2](reg, &ev2); err != nil || got.First != "Alan" {
		t.Fatalf("decode version 2 = %+v, %v", got, err)
	}

	// New writes the current version.
	fresh, err := reg.New(greetingV2{First: "Grace"}, events.Meta{IdempotencyKey: "g"})
	if err != nil || fresh.SchemaVersion != 2 {
		t.Fatalf("New = %+v, %v; want schema version 2", fresh, err)
	}

	// Version 3 is newer than this build knows.
	ev3 := events.Event{ID: events.IDFromKey("greet3"), Type: "Greeted", SchemaVersion: 3, Payload: json.RawMessage(`{}`)}
	if _, err := reg.Decode(&ev3); !errors.Is(err, events.ErrInvalidEvent) {
		t.Fatalf("decode version 3 = %v, want ErrInvalidEvent", err)
	}
}

func TestUpcastResultIsCheckedAgainstTheCurrentLayout(t *testing.T) {
	failing := errors.New("cannot upcast")
	reg, err := events.NewRegistry(
		events.TypeSpec{Name: "Bad", Payload: greetingV2{}, Version: 2, Upcasters: map[int]events.Upcaster{
			1: func(json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{"unknown":1}`), nil },
		}},
		events.TypeSpec{Name: "Failing", Payload: samplePayload{}, Version: 2, Upcasters: map[int]events.Upcaster{
			1: func(json.RawMessage) (json.RawMessage, error) { return nil, failing },
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	bad := events.Event{ID: events.IDFromKey("b"), Type: "Bad", SchemaVersion: 1, Payload: json.RawMessage(`{}`)}
	if _, err := reg.Decode(&bad); !errors.Is(err, events.ErrInvalidEvent) {
		t.Fatalf("decode of a bad upcast = %v, want ErrInvalidEvent", err)
	}
	fail := events.Event{ID: events.IDFromKey("f"), Type: "Failing", SchemaVersion: 1, Payload: json.RawMessage(`{}`)}
	if _, err := reg.Decode(&fail); !errors.Is(err, failing) {
		t.Fatalf("decode with a failing upcaster = %v, want it wrapped", err)
	}
}
