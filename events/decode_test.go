package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/worldval/worldval/events"
)

// referenceDecode is how Decode checked a payload before it stopped running
// json.Valid first: the whole body valid JSON, its first non-space byte '{',
// then the decoder with unknown fields disallowed. Decode must accept
// exactly what it accepts, with the same value.
func referenceDecode(typ reflect.Type, body []byte) (any, bool) {
	if !json.Valid(body) {
		return nil, false
	}
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return nil, false
	}
	ptr := reflect.New(typ)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr.Interface()); err != nil {
		return nil, false
	}
	return ptr.Interface(), true
}

func TestDecodeRejectsWhatIsNotOneObject(t *testing.T) {
	reg := events.Catalogue()
	for _, tc := range []struct {
		payload string
		message string // in the error
	}{
		{``, "payload is empty"},
		{" \t\r\n", "payload is empty"},
		{`null`, "not a JSON object"},
		{`[{}]`, "not a JSON object"},
		{`"{}"`, "not a JSON object"},
		{"\ufeff{}", "not a JSON object"},
		{`{"world_id":"w"`, "not valid JSON"},
		{`{"world_id":"w",}`, "not valid JSON"},
		{`{"world_id":'w'}`, "not valid JSON"},
		{`{"world_id":"w"}}`, "data after the JSON object"},
		{`{} {}`, "data after the JSON object"},
		{"{}\n\x00", "data after the JSON object"},
		{`{}garbage`, "data after the JSON object"},
		{`{"colour":"red"}`, `unknown field "colour"`},
		{`{"policy_version":"two"}`, "cannot unmarshal"},
	} {
		ev := event(events.TypeDefaultPolicySet, 1, tc.payload)
		_, err := reg.Decode(ev)
		if !errors.Is(err, events.ErrInvalidEvent) || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("Decode(%q) = %v, want an invalid event saying %q", tc.payload, err, tc.message)
		}
	}
	// JSON whitespace around the object is fine.
	for _, p := range []string{"{}", " \t\r\n{} \t\r\n", "{\"world_id\":\"w\"}\n"} {
		if _, err := reg.Decode(event(events.TypeDefaultPolicySet, 1, p)); err != nil {
			t.Errorf("Decode(%q): %v", p, err)
		}
	}
}

// FuzzDecodeMatchesReference checks Decode against the reference on
// arbitrary payloads of every type: the same payloads accepted, decoding to
// the same values, and every refusal an invalid event.
func FuzzDecodeMatchesReference(f *testing.F) {
	reg := events.Catalogue()
	names := reg.Names()
	for i, p := range []string{
		`{"world_id":"w","policy_version":2,"previous_version":1}`, `{}`, ` {} `, `{}}`, `{} ]`, `{} {}`, `null`, `[]`, ``,
		`{"returns":[0.01,null,-0.02]}`, `{"world_id":"w"`, "{}\x00", "\ufeff{}", `{"a":1}`, `{"world_id":"\ud800"}`,
		`{"world_id":"w","world_id":"v"}`, `{"WORLD_ID":"w"}`, "{\"metrics\": [1, 2,\n 3]}", `{"revision":1e2}`,
	} {
		f.Add(i, []byte(p))
	}
	f.Fuzz(func(t *testing.T, typ int, payload []byte) {
		name := names[(typ%len(names)+len(names))%len(names)]
		ev := events.Event{ID: events.IDFromKey("fuzz"), Type: name, SchemaVersion: 1, Payload: payload}
		got, err := reg.Decode(&ev)
		if err != nil && !errors.Is(err, events.ErrInvalidEvent) {
			t.Fatalf("%s %q: error %v is not an invalid event", name, payload, err)
		}
		want, ok := referenceDecode(reflect.TypeOf(payloadOf(t, reg, name)).Elem(), payload)
		switch {
		case ok && err != nil:
			t.Fatalf("%s %q: refused (%v), the reference accepts it", name, payload, err)
		case !ok && err == nil:
			t.Fatalf("%s %q: accepted, the reference refuses it", name, payload)
		case ok && !reflect.DeepEqual(got, want):
			t.Fatalf("%s %q: decoded %+v, the reference %+v", name, payload, got, want)
		}
	})
}

// payloadOf returns a pointer to a zero payload of type name, as Decode
// returns it.
func payloadOf(t *testing.T, reg *events.Registry, name string) any {
	t.Helper()
	// Every type of the catalogue accepts an empty object.
	v, err := reg.Decode(&events.Event{ID: events.IDFromKey("zero"), Type: name, SchemaVersion: 1, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatalf("%s does not decode {}: %v", name, err)
	}
	return v
}

// submittedPayload is an EvaluationRunSubmitted as `worldval bench ingest`
// submits it: 252 daily returns with six decimals and the request's hash.
func submittedPayload(b *testing.B) []byte {
	rng := rand.New(rand.NewPCG(1, 0x62656e6368))
	rs := make(events.ReturnSeries, 252)
	for i := range rs {
		v := float64(int64((0.0005+0.01*rng.NormFloat64())*1e6)) / 1e6
		rs[i] = &v
	}
	p := events.EvaluationRunSubmitted{
		WorldID: "bench", StrategyID: "s042", RunID: "run-0001234", Stage: "backtest", RiskTier: "unknown",
		Returns: rs, Params: json.RawMessage(`{"periods_per_year":252}`), SubmittedBy: "bench",
		RequestHash: strings.Repeat("9f86d081", 8),
	}
	body, err := events.Marshal(p)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkDecodeEvaluationRunSubmitted decodes the payload the ingest
// benchmark submits (about 2.4 KB), as every subscriber of the service does
// for each submission.
func BenchmarkDecodeEvaluationRunSubmitted(b *testing.B) {
	reg := events.Catalogue()
	ev := events.Event{ID: events.IDFromKey("bench"), Type: events.TypeEvaluationRunSubmitted, SchemaVersion: 1,
		Payload: submittedPayload(b)}
	b.SetBytes(int64(len(ev.Payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Decode(&ev); err != nil {
			b.Fatal(err)
		}
	}
}
