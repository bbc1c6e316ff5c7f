package worldpolicy_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
)

var t0 = time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)

func publish(key, doc string) worldpolicy.Publish {
	return worldpolicy.Publish{Meta: events.Meta{IdempotencyKey: key, OccurredAt: t0, Actor: "risk"}, WorldID: "w1", Policy: []byte(doc), PublishedBy: "risk"}
}

func setDefault(key string, v int) worldpolicy.SetDefault {
	return worldpolicy.SetDefault{Meta: events.Meta{IdempotencyKey: key, OccurredAt: t0}, Version: v}
}

// world folds the events of the given decisions, applied in order, each
// decided against the state the previous ones left.
func world(t *testing.T, reg *events.Registry, steps ...func(*worldpolicy.Policy) ([]events.Event, error)) (*worldpolicy.Policy, []events.Event) {
	t.Helper()
	var all []events.Event
	state := &worldpolicy.Policy{}
	for i, step := range steps {
		evs, err := step(state)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		all = append(all, evs...)
		recs := make([]events.Record, len(all))
		for j, ev := range all {
			recs[j] = events.Record{Event: ev, Stream: "world-policy/w1", StreamVersion: uint64(j + 1)}
		}
		if state, err = aggregates.Fold[worldpolicy.Policy](reg, recs); err != nil {
			t.Fatalf("fold after step %d: %v", i, err)
		}
	}
	return state, all
}

func pub(reg *events.Registry, key, doc string) func(*worldpolicy.Policy) ([]events.Event, error) {
	return func(p *worldpolicy.Policy) ([]events.Event, error) { return p.Publish(reg, publish(key, doc)) }
}

func def(reg *events.Registry, key string, v int) func(*worldpolicy.Policy) ([]events.Event, error) {
	return func(p *worldpolicy.Policy) ([]events.Event, error) { return p.SetDefault(reg, setDefault(key, v)) }
}

func TestFirstPublicationBecomesDefault(t *testing.T) {
	reg := events.Catalogue()
	var empty worldpolicy.Policy
	evs, err := empty.Publish(reg, publish("p1", `{"validation_profiles": {"backtest": {}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Type != events.TypePolicyPublished || evs[1].Type != events.TypeDefaultPolicySet {
		t.Fatalf("events %+v", evs)
	}
	if evs[0].ID != events.IDFromKeyN("p1", 0) || evs[1].ID != events.IDFromKeyN("p1", 1) {
		t.Fatal("event ids not derived from the idempotency key")
	}
	published, _ := events.DecodeAs[events.PolicyPublished](reg, &evs[0])
	if published.PolicyVersion != 1 || published.WorldID != "w1" || published.PublishedBy != "risk" {
		t.Fatalf("published %+v", published)
	}
	// Checksum of the canonical document {"validation_profiles":{"backtest":{}}},
	// computed with sha256sum.
	if published.Checksum != "sha256:5db37bf4f0a00c3a23e898f90f7d1b198d423337f498870fe49de670d392e5ab" {
		t.Fatalf("checksum %s", published.Checksum)
	}
	set, _ := events.DecodeAs[events.DefaultPolicySet](reg, &evs[1])
	if *set != (events.DefaultPolicySet{WorldID: "w1", PolicyVersion: 1, PreviousVersion: 0}) {
		t.Fatalf("default %+v", set)
	}

	state, _ := world(t, reg, pub(reg, "p1", `{"a":1}`))
	if state.Latest() != 1 || state.DefaultVersion() != 1 || state.WorldID() != "w1" || state.Version() != 2 {
		t.Fatalf("state latest %d default %d world %q version %d", state.Latest(), state.DefaultVersion(), state.WorldID(), state.Version())
	}
}

func TestPublishAndSetDefault(t *testing.T) {
	reg := events.Catalogue()
	three := func() *worldpolicy.Policy {
		s, _ := world(t, reg, pub(reg, "p1", `{"v":1}`), pub(reg, "p2", `{"v":2}`), pub(reg, "p3", `{"v":3}`))
		return s
	}
	cases := []struct {
		name     string
		state    func() *worldpolicy.Policy
		decide   func(*worldpolicy.Policy) ([]events.Event, error)
		wantCode errcode.Code
		want     []any
	}{
		{"second publication", three, pub(reg, "p4", `{"v":4}`), "", []any{events.PolicyPublished{PolicyVersion: 4}}},
		{"retried publication", three, pub(reg, "p2", `{"v":2}`), "", nil},
		{"retried publication with another body", three, pub(reg, "p2", `{"v":9}`), "", nil},
		{"same document, new key", three, pub(reg, "p5", `{"v":3}`), "", []any{events.PolicyPublished{PolicyVersion: 4}}},
		{"policy not an object", three, pub(reg, "p6", `[1]`), errcode.PolicyInvalid, nil},
		{"policy not JSON", three, pub(reg, "p6", `{"v":`), errcode.PolicyInvalid, nil},
		{"empty policy", three, pub(reg, "p6", ``), errcode.PolicyInvalid, nil},
		{"no key", three, pub(reg, "", `{}`), errcode.Validation, nil},
		{"other world", three, func(p *worldpolicy.Policy) ([]events.Event, error) {
			c := publish("p7", `{}`)
			c.WorldID = "w2"
			return p.Publish(reg, c)
		}, errcode.Validation, nil},
		{"no world", three, func(p *worldpolicy.Policy) ([]events.Event, error) {
			c := publish("p7", `{}`)
			c.WorldID = ""
			return p.Publish(reg, c)
		}, errcode.Validation, nil},
		{"set default", three, def(reg, "d1", 3), "", []any{events.DefaultPolicySet{PolicyVersion: 3, PreviousVersion: 1}}},
		{"set default to the current one", three, def(reg, "d1", 1), "", nil},
		{"unknown version", three, def(reg, "d1", 4), errcode.PolicyVersionNotFound, nil},
		{"version zero", three, def(reg, "d1", 0), errcode.PolicyVersionNotFound, nil},
		{"no policy at all", func() *worldpolicy.Policy { return &worldpolicy.Policy{} }, def(reg, "d1", 1), errcode.PolicyVersionNotFound, nil},
		{"set default without key", three, def(reg, "", 2), errcode.Validation, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := tc.decide(tc.state())
			if got := errcode.CodeOf(err); got != tc.wantCode {
				t.Fatalf("error %v (code %q), want %q", err, got, tc.wantCode)
			}
			if len(evs) != len(tc.want) {
				t.Fatalf("%d events, want %d", len(evs), len(tc.want))
			}
			for i, w := range tc.want {
				got, err := reg.Decode(&evs[i])
				if err != nil {
					t.Fatal(err)
				}
				switch w := w.(type) {
				case events.PolicyPublished:
					if g := got.(*events.PolicyPublished); g.PolicyVersion != w.PolicyVersion || g.WorldID != "w1" {
						t.Fatalf("published %+v", g)
					}
				case events.DefaultPolicySet:
					if g := got.(*events.DefaultPolicySet); g.PolicyVersion != w.PolicyVersion || g.PreviousVersion != w.PreviousVersion || g.WorldID != "w1" {
						t.Fatalf("default %+v", g)
					}
				}
			}
		})
	}
}

func TestRetriedSetDefaultAfterAnotherChangeIsANoOp(t *testing.T) {
	reg := events.Catalogue()
	state, _ := world(t, reg, pub(reg, "p1", `{}`), pub(reg, "p2", `{}`), pub(reg, "p3", `{}`), def(reg, "d-3", 3), def(reg, "d-2", 2))
	// The command that set version 3 arrives again (at-least-once delivery):
	// it must not switch the default back.
	evs, err := state.SetDefault(reg, setDefault("d-3", 3))
	if err != nil || len(evs) != 0 {
		t.Fatalf("retried SetDefault = %d events, %v", len(evs), err)
	}
	if state.DefaultVersion() != 2 {
		t.Fatalf("default %d", state.DefaultVersion())
	}
}

func TestStateExposesVersionsAndDocuments(t *testing.T) {
	reg := events.Catalogue()
	state, _ := world(t, reg, pub(reg, "p1", `{"v": 1}`), pub(reg, "p2", `{"v":2}`), def(reg, "d", 2))
	if !slices.Equal(state.Versions(), []int{1, 2}) || state.DefaultVersion() != 2 || state.Latest() != 2 {
		t.Fatalf("versions %v default %d", state.Versions(), state.DefaultVersion())
	}
	doc, ok := state.Document(1)
	if !ok || string(doc) != `{"v":1}` {
		t.Fatalf("Document(1) = %s, %v", doc, ok)
	}
	if _, ok := state.Document(3); ok {
		t.Fatal("Document(3) found")
	}
	if _, ok := state.Document(0); ok {
		t.Fatal("Document(0) found")
	}
	p, ok := state.Published(2)
	if !ok || p.PolicyVersion != 2 || !strings.HasPrefix(p.Checksum, "sha256:") {
		t.Fatalf("Published(2) = %+v", p)
	}
	var empty worldpolicy.Policy
	if len(empty.Versions()) != 0 || empty.DefaultVersion() != 0 || empty.Latest() != 0 {
		t.Fatal("empty policy state")
	}
}

func TestChecksumIsCanonical(t *testing.T) {
	reg := events.Catalogue()
	a, _ := world(t, reg, pub(reg, "p1", `{"b":[1,2],"a":{"y":1,"x":2}}`))
	b, _ := world(t, reg, pub(reg, "p1", "{ \"a\": {\"x\":2, \"y\":1}, \"b\": [1, 2] }"))
	pa, _ := a.Published(1)
	pb, _ := b.Published(1)
	// sha256sum of {"a":{"x":2,"y":1},"b":[1,2]}.
	const want = "sha256:a10a6b00ee31ae3fdac49e151af58f0ebcd0c3a72babe4ac0f6b6e55558a2bce"
	if pa.Checksum != pb.Checksum || pa.Checksum != want {
		t.Fatalf("checksums %s %s, want %s", pa.Checksum, pb.Checksum, want)
	}
}

func TestApplyRefusesContradictions(t *testing.T) {
	reg := events.Catalogue()
	newEv := func(key string, p any) events.Event {
		ev, err := reg.New(p, events.Meta{IdempotencyKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	doc := json.RawMessage(`{}`)
	for name, evs := range map[string][]events.Event{
		"version gap":        {newEv("a", events.PolicyPublished{WorldID: "w", PolicyVersion: 2, Policy: doc})},
		"default unknown":    {newEv("a", events.PolicyPublished{WorldID: "w", PolicyVersion: 1, Policy: doc}), newEv("b", events.DefaultPolicySet{WorldID: "w", PolicyVersion: 2})},
		"world changes":      {newEv("a", events.PolicyPublished{WorldID: "w", PolicyVersion: 1, Policy: doc}), newEv("b", events.PolicyPublished{WorldID: "x", PolicyVersion: 2, Policy: doc})},
		"default before any": {newEv("b", events.DefaultPolicySet{WorldID: "w", PolicyVersion: 1})},
	} {
		recs := make([]events.Record, len(evs))
		for i, ev := range evs {
			recs[i] = events.Record{Event: ev, StreamVersion: uint64(i + 1)}
		}
		if _, err := aggregates.Fold[worldpolicy.Policy](reg, recs); err == nil {
			t.Errorf("%s: fold accepted the history", name)
		}
	}
	var p worldpolicy.Policy
	if err := p.Apply(&events.Record{StreamVersion: 1}, &events.RuleEvaluated{}); err != nil || p.Version() != 1 {
		t.Fatalf("unknown payload: %v", err)
	}
}
