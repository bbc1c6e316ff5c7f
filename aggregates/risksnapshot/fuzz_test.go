package risksnapshot

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/worldval/worldval/aggregates/errcode"
)

// FuzzParseJSON checks the snapshot decoder against encoding/json: it never
// panics; it accepts every document encoding/json accepts, except for the
// refusals it documents (repeated names, lone surrogates, invalid UTF-8,
// deep nesting); whatever it
// accepts without the NaN and Infinity tokens encoding/json accepts too; and
// its canonical output is JSON that it reads back to the same output.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `true`, `0`, `-0.0e+1`, `"a\u00e9\ud83d\ude00"`, `{"a":[1,{"b":null}]}`,
		`[NaN,Infinity,-Infinity]`, `{"a":1,"a":2}`, `"\ud800"`, `{"a":1e400}`, ` [1, 2 ,3 ] `, `[01]`, `[1.]`, `{"a" 1}`,
		"\"\xff\"", `"\u0000"`, `[` + strings.Repeat("[", 130) + strings.Repeat("]", 131),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseJSON(data)
		valid := json.Valid(data)
		if err != nil {
			msg := err.Error()
			documented := strings.Contains(msg, "duplicate key") || strings.Contains(msg, "surrogate") ||
				strings.Contains(msg, "nesting deeper") || strings.Contains(msg, "invalid UTF-8")
			if valid && !documented {
				t.Fatalf("refused valid JSON %q: %v", data, err)
			}
			return
		}
		if !valid && !hasNonFinite(&v) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if !checkFree(&v) {
			return
		}
		var buf bytes.Buffer
		writePyFree(&buf, &v)
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("canonical form %q of %q is not JSON", buf.Bytes(), data)
		}
		again, err := parseJSON(buf.Bytes())
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", buf.Bytes(), err)
		}
		var buf2 bytes.Buffer
		writePyFree(&buf2, &again)
		if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
			t.Fatalf("canonical form is not a fixed point: %q then %q", buf.Bytes(), buf2.Bytes())
		}
	})
}

func hasNonFinite(v *value) bool {
	if v.nonFinite() {
		return true
	}
	for i := range v.arr {
		if hasNonFinite(&v.arr[i]) {
			return true
		}
	}
	for i := range v.obj {
		if hasNonFinite(&v.obj[i].val) {
			return true
		}
	}
	return false
}

// FuzzContract feeds arbitrary bodies to the snapshot contract. It never
// panics; every refusal carries a registered 4xx code; every accepted
// snapshot has a well-formed hash, and sending back its own canonical form
// is accepted with the same hash (normalization is idempotent).
func FuzzContract(f *testing.F) {
	for _, s := range []string{
		`{"as_of":"2025-01-01T00:00:00Z","version":"v1","weights":{"s1":1.0}}`,
		`{"as_of":"2025-01-01T00:00:00+09:00","version":"v","weights":{"a":0.5,"b":0.5},"covariance":{"a,a":0.1},"realized_returns":{" a":[1,2]},"stress":{"x":{"y":-0}},"constraints":{"m":1e2},"ttl_sec":60,"provenance":{"source":"é"}}`,
		`{"as_of":"2025-01-01T00:00:00Z","version":"v","weights":{"a":1},"realized_returns":[0.1,NaN]}`,
		`{"as_of":"2025-01-01T00:00:00Z","version":"v","weights":{"a":1},"hash":"sha256:00"}`,
		`{"world_id":"w","as_of":"x"}`, `[]`, `{`, `{"weights":{"a":"1"}}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	c := &Contract{TTLSecDefault: DefaultTTLSec, TTLSecMax: DefaultTTLSecMax}
	f.Fuzz(func(t *testing.T, data []byte, kafka bool) {
		in := Input{World: "w", Body: data, HeaderActor: "gateway", HeaderStage: "paper"}
		if kafka {
			in = Input{Body: data, Kafka: true}
		}
		s, err := c.Parse(in)
		if err != nil {
			e, ok := errcode.From(err)
			if !ok || e.HTTPStatus() < 400 || e.HTTPStatus() >= 500 {
				t.Fatalf("refusal %v has no 4xx code", err)
			}
			return
		}
		if !strings.HasPrefix(s.Hash, HashPrefix) || len(s.Hash) != len(HashPrefix)+64 {
			t.Fatalf("hash %q", s.Hash)
		}
		canon, err := s.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.Parse(Input{World: s.WorldID, Body: canon, HeaderActor: s.Actor, HeaderStage: s.Stage})
		if err != nil {
			t.Fatalf("canonical form %s refused: %v", canon, err)
		}
		if back.Hash != s.Hash {
			t.Fatalf("canonical form %s hashes to %s, first %s", canon, back.Hash, s.Hash)
		}
	})
}
