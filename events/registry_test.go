package events_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
)

type samplePayload struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

type otherPayload struct {
	Flag bool `json:"flag"`
}

func TestNewRegistryRefusesBadSpecs(t *testing.T) {
	cases := []struct {
		name  string
		specs []events.TypeSpec
		want  string
	}{
		{"duplicate name", []events.TypeSpec{{Name: "A", Payload: samplePayload{}}, {Name: "A", Payload: otherPayload{}}}, "duplicate name"},
		{"duplicate payload type", []events.TypeSpec{{Name: "A", Payload: samplePayload{}}, {Name: "B", Payload: samplePayload{}}}, "already registered as A"},
		{"empty name", []events.TypeSpec{{Payload: samplePayload{}}}, "empty name"},
		{"pointer payload", []events.TypeSpec{{Name: "A", Payload: &samplePayload{}}}, "must be a struct value"},
		{"nil payload", []events.TypeSpec{{Name: "A"}}, "must be a struct value"},
		{"missing upcaster", []events.TypeSpec{{Name: "A", Payload: samplePayload{}, Version: 3, Upcasters: map[int]events.Upcaster{1: identity}}}, "no upcaster from version 2 to 3"},
		{"negative version", []events.TypeSpec{{Name: "A", Payload: samplePayload{}, Version: -1}}, "schema version -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := events.NewRegistry(tc.specs...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewRegistry = %v, %v; want error containing %q", r, err, tc.want)
			}
		})
	}
}

func TestMustRegistryPanicsOnDuplicate(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustRegistry accepted a duplicate name")
		}
	}()
	events.MustRegistry(events.TypeSpec{Name: "A", Payload: samplePayload{}}, events.TypeSpec{Name: "A", Payload: otherPayload{}})
}

func identity(b json.RawMessage) (json.RawMessage, error) { return b, nil }

func TestCatalogueNames(t *testing.T) {
	names := events.Catalogue().Names()
	want := []string{
		events.TypeCohortEvaluated, events.TypeDefaultPolicySet, events.TypeDemotionCandidateTagged,
		events.TypeEvaluationCompleted, events.TypeEvaluationRunSubmitted, events.TypeExPostFailureRecorded,
		events.TypeExitSignalEmitted, events.TypeExtendedValidationCompleted, events.TypeLiveMonitoringEvaluated,
		events.TypeMetricsComputed, events.TypeModelCardPublished, events.TypeOverrideRecorded, events.TypePolicyPublished,
		events.TypeRiskSnapshotRecorded, events.TypeRuleEvaluated, events.TypeWorldSettingsUpdated,
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v, want %v", names, want)
	}
}

func event(typ string, version int, payload string) *events.Event {
	return &events.Event{ID: events.IDFromKey("k"), Type: typ, SchemaVersion: version, Payload: json.RawMessage(payload)}
}

func TestDecode(t *testing.T) {
	reg := events.Catalogue()
	cases := []struct {
		name    string
		ev      *events.Event
		wantErr error
	}{
		{"valid", event(events.TypeDefaultPolicySet, 1, `{"world_id":"w","policy_version":2,"previous_version":1}`), nil},
		{"whitespace around the object", event(events.TypeDefaultPolicySet, 1, " \n{\"world_id\":\"w\"}\t"), nil},
		{"unknown type", event("NoSuchEvent", 1, `{}`), events.ErrUnknownType},
		{"unknown payload field", event(events.TypeDefaultPolicySet, 1, `{"world_id":"w","colour":"red"}`), events.ErrInvalidEvent},
		{"wrong field type", event(events.TypeDefaultPolicySet, 1, `{"policy_version":"two"}`), events.ErrInvalidEvent},
		{"schema version newer than known", event(events.TypeDefaultPolicySet, 2, `{"world_id":"w"}`), events.ErrInvalidEvent},
		{"schema version zero", event(events.TypeDefaultPolicySet, 0, `{"world_id":"w"}`), events.ErrInvalidEvent},
		{"null payload", event(events.TypeDefaultPolicySet, 1, `null`), events.ErrInvalidEvent},
		{"array payload", event(events.TypeDefaultPolicySet, 1, `[]`), events.ErrInvalidEvent},
		{"empty payload", event(events.TypeDefaultPolicySet, 1, ``), events.ErrInvalidEvent},
		{"trailing closing brace", event(events.TypeDefaultPolicySet, 1, `{"world_id":"w"}}`), events.ErrInvalidEvent},
		{"trailing closing bracket", event(events.TypeDefaultPolicySet, 1, `{} ]`), events.ErrInvalidEvent},
		{"trailing value", event(events.TypeDefaultPolicySet, 1, `{} {}`), events.ErrInvalidEvent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := reg.Decode(tc.ev)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if _, ok := v.(*events.DefaultPolicySet); !ok {
					t.Fatalf("Decode returned %T, want *events.DefaultPolicySet", v)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Decode = %v, %v; want %v", v, err, tc.wantErr)
			}
			if err := reg.Check(tc.ev); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Check = %v; want %v", err, tc.wantErr)
			}
		})
	}
}

func TestNewBuildsDecodableEvent(t *testing.T) {
	reg := events.Catalogue()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	in := events.PolicyPublished{WorldID: "w<1>", PolicyVersion: 3, Policy: json.RawMessage(`{"a":1}`), Checksum: "c"}
	ev, err := reg.New(&in, events.Meta{IdempotencyKey: "publish:1", Index: 2, OccurredAt: at, Actor: "alice", CorrelationID: "c", CausationID: "d"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if ev.ID != events.IDFromKeyN("publish:1", 2) || ev.Type != events.TypePolicyPublished || ev.SchemaVersion != 1 ||
		ev.IdempotencyKey != "publish:1" || ev.Actor != "alice" || ev.CorrelationID != "c" || ev.CausationID != "d" {
		t.Fatalf("unexpected envelope %+v", ev)
	}
	if ev.OccurredAt.Location() != time.UTC || !ev.OccurredAt.Equal(at) {
		t.Fatalf("OccurredAt = %v, want %v in UTC", ev.OccurredAt, at)
	}
	if !strings.Contains(string(ev.Payload), `"w<1>"`) {
		t.Fatalf("payload %s: HTML characters must not be escaped", ev.Payload)
	}
	out, err := events.DecodeAs[events.PolicyPublished](reg, &ev)
	if err != nil {
		t.Fatal(err)
	}
	if out.WorldID != in.WorldID || out.PolicyVersion != 3 || string(out.Policy) != `{"a":1}` {
		t.Fatalf("decoded %+v, want %+v", out, in)
	}
	if _, err := events.DecodeAs[events.DefaultPolicySet](reg, &ev); !errors.Is(err, events.ErrInvalidEvent) {
		t.Fatalf("DecodeAs with the wrong type = %v, want ErrInvalidEvent", err)
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	reg := events.Catalogue()
	cases := []struct {
		name    string
		payload any
		meta    events.Meta
		want    error
	}{
		{"unregistered payload", samplePayload{}, events.Meta{IdempotencyKey: "k"}, events.ErrUnknownType},
		{"nil", nil, events.Meta{IdempotencyKey: "k"}, events.ErrUnknownType},
		{"nil pointer", (*events.DefaultPolicySet)(nil), events.Meta{IdempotencyKey: "k"}, events.ErrInvalidEvent},
		{"empty key", events.DefaultPolicySet{}, events.Meta{}, events.ErrInvalidEvent},
		{"negative index", events.DefaultPolicySet{}, events.Meta{IdempotencyKey: "k", Index: -1}, events.ErrInvalidEvent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := reg.New(tc.payload, tc.meta); !errors.Is(err, tc.want) {
				t.Fatalf("New = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMarshalIsCompactWithoutHTMLEscaping(t *testing.T) {
	b, err := events.Marshal(map[string]string{"a": "<&>"})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"a":"<&>"}` {
		t.Fatalf("Marshal = %s", b)
	}
	if _, err := events.Marshal(func() {}); err == nil {
		t.Fatal("Marshal accepted a func")
	}
}
