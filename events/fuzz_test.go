package events_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/worldval/worldval/events"
)

// FuzzDecode feeds arbitrary payload bytes, type names and schema versions to
// the catalogue. Decode must never panic; whatever it accepts must re-marshal
// to a payload that decodes to the same value, and that marshalled form must
// be a fixed point.
func FuzzDecode(f *testing.F) {
	reg := events.Catalogue()
	names := reg.Names()
	seeds := []struct {
		typ     int
		version int
		payload string
	}{
		{0, 1, `{"world_id":"w","policy_version":2,"previous_version":1}`},
		{2, 1, `{"world_id":"w","strategy_id":"s","run_id":"r","stage":"backtest","risk_tier":"unknown","returns":[0.01,null,-0.02],"metrics":{"returns":{"sharpe":1.2}},"request_hash":"h"}`},
		{7, 1, `{"world_id":"w","policy_version":1,"policy":{"thresholds":{}},"checksum":"c","ruleset_hash":{"backtest":"blake3:00"}}`},
		{8, 1, `{"rule":"sample","result":{"status":"pass"},"policy_version":1,"ruleset_hash":"x"}`},
		{1, 1, `{"status":"pass","recommended_stage":"paper_only","active":true,"active_set":["s"],"policy_version":1,"ruleset_hash":"x"}`},
		{0, 1, `null`},
		{0, 2, `{}`},
		{0, 1, `{"WORLD_ID":"w","world_id":"v"}`},
		{3, 1, `{"status":"approved","revision":1e2}`},
		{5, 1, "{\"metrics\": [1, 2,\n 3]}"},
	}
	for _, s := range seeds {
		f.Add(s.typ, s.version, []byte(s.payload))
	}
	f.Fuzz(func(t *testing.T, typ, version int, payload []byte) {
		name := "Unknown"
		if typ >= 0 && typ < len(names) {
			name = names[typ]
		}
		ev := events.Event{ID: events.IDFromKey("fuzz"), Type: name, SchemaVersion: version, Payload: payload}
		v1, err := reg.Decode(&ev)
		if err != nil {
			if !errors.Is(err, events.ErrInvalidEvent) && !errors.Is(err, events.ErrUnknownType) {
				t.Fatalf("Decode error %v wraps no sentinel", err)
			}
			return
		}
		if version < 1 || name == "Unknown" {
			t.Fatalf("Decode accepted type %q version %d", name, version)
		}
		m1, err := events.Marshal(v1)
		if err != nil {
			t.Fatalf("accepted payload %q does not re-marshal: %v", payload, err)
		}
		ev.Payload, ev.SchemaVersion = m1, 1
		v2, err := reg.Decode(&ev)
		if err != nil {
			t.Fatalf("re-marshalled payload %s does not decode: %v", m1, err)
		}
		m2, err := events.Marshal(v2)
		if err != nil {
			t.Fatal(err)
		}
		if string(m1) != string(m2) {
			t.Fatalf("payload %q: re-marshal %s, then %s", payload, m1, m2)
		}
		// Decoding the fixed point again gives a deeply equal value.
		ev.Payload = m2
		v3, err := reg.Decode(&ev)
		if err != nil || !reflect.DeepEqual(v2, v3) {
			t.Fatalf("payload %s decodes to %+v then %+v (%v)", m2, v2, v3, err)
		}
		if !json.Valid(m1) {
			t.Fatalf("Marshal produced invalid JSON %q", m1)
		}
	})
}

// FuzzParseStream checks that ParseStream never panics and accepts exactly
// the names Stream builds: every accepted name is rebuilt byte for byte from
// its parts, and every part is non-empty valid UTF-8.
func FuzzParseStream(f *testing.F) {
	for _, s := range []string{
		"evaluation-run/w1/s%2F1/run-9", "world-policy/w1", "a", "", "a//b", "a/%FF", "a/%2f", "a/%61", "a/b%", "%C3%A9/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		cat, ids, err := events.ParseStream(name)
		if err != nil {
			if !errors.Is(err, events.ErrInvalidStream) {
				t.Fatalf("ParseStream(%q) error %v does not wrap ErrInvalidStream", name, err)
			}
			return
		}
		back, err := events.Stream(cat, ids...)
		if err != nil {
			t.Fatalf("ParseStream(%q) = %q %q, which Stream refuses: %v", name, cat, ids, err)
		}
		if back != name {
			t.Fatalf("ParseStream(%q) = %q %q, which Stream writes as %q", name, cat, ids, back)
		}
		if err := events.ValidateStreamName(back); err != nil {
			t.Fatalf("Stream built an invalid name %q: %v", back, err)
		}
	})
}
