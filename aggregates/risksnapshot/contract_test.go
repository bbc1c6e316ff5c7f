package risksnapshot_test

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/risksnapshot"
)

// base is a valid snapshot body; cases replace or add members.
const base = `"as_of":"2025-01-01T00:00:00Z","version":"v1","weights":{"a":0.5,"b":0.5}`

func body(extra string) string {
	if extra == "" {
		return "{" + base + "}"
	}
	return "{" + base + "," + extra + "}"
}

// baseMembers are the members of base, by name.
func baseMembers() [][2]string {
	return [][2]string{
		{"as_of", `"as_of":"2025-01-01T00:00:00Z"`},
		{"version", `"version":"v1"`},
		{"weights", `"weights":{"a":0.5,"b":0.5}`},
	}
}

// without returns base without one member, plus extra.
func without(member, extra string) string {
	var kept []string
	for _, m := range baseMembers() {
		if m[0] != member {
			kept = append(kept, m[1])
		}
	}
	if extra != "" {
		kept = append(kept, extra)
	}
	return "{" + strings.Join(kept, ",") + "}"
}

type rejectCase struct {
	name   string
	in     risksnapshot.Input
	code   errcode.Code
	status int
	msg    string // exact message; a trailing "…" makes it a prefix
}

func httpIn(b string) risksnapshot.Input {
	return risksnapshot.Input{World: "w", Body: []byte(b), HeaderActor: "gateway", HeaderStage: "paper"}
}

func kafkaIn(b string) risksnapshot.Input {
	return risksnapshot.Input{Body: []byte(b), Kafka: true}
}

func series(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat("0.001,", n), ",") + "]"
}

func rejections() []rejectCase {
	inv := func(name, b, msg string) rejectCase {
		return rejectCase{name, httpIn(b), errcode.SnapshotInvalid, http.StatusUnprocessableEntity, msg}
	}
	kinv := func(name, b, msg string) rejectCase {
		return rejectCase{name, kafkaIn(b), errcode.SnapshotInvalid, http.StatusUnprocessableEntity, msg}
	}
	bad := func(name string, in risksnapshot.Input, msg string) rejectCase {
		return rejectCase{name, in, errcode.BadRequest, http.StatusBadRequest, msg}
	}
	noActor := httpIn(body(""))
	noActor.HeaderActor = ""
	noStage := httpIn(body(""))
	noStage.HeaderStage = ""
	noBoth := httpIn("{")
	noBoth.HeaderActor, noBoth.HeaderStage = "", ""
	controlWorld := httpIn(body(""))
	controlWorld.World = "w\x01"
	keyMismatch := kafkaIn(without("x", `"world_id":"x","provenance":{"actor":"a","stage":"s"}`))
	keyMismatch.World = "w"
	sixSeries := `"realized_returns":{`
	for i := range 6 {
		if i > 0 {
			sixSeries += ","
		}
		sixSeries += fmt.Sprintf(`"s%d":%s`, i, series(200_000))
	}
	sixSeries += "}"
	return []rejectCase{
		// Headers and path (§2.2 checks 2–4): 400.
		bad("missing actor header", noActor, "missing actor header"),
		bad("missing stage header", noStage, "missing stage header"),
		bad("headers before the body", noBoth, "missing actor header"),
		bad("world_id mismatch", httpIn(body(`"world_id":"other"`)), "world_id mismatch"),
		bad("world_id number mismatch", httpIn(body(`"world_id":5`)), "world_id mismatch"),
		bad("world_id mismatch before unknown field", httpIn(body(`"world_id":"other","zzz":1`)), "world_id mismatch"),

		// The body itself: 422.
		inv("not JSON", `{"as_of":`, "snapshot is not valid JSON: …"),
		inv("trailing data", body("")+"{}", "snapshot is not valid JSON: …"),
		inv("not an object", `[1,2]`, "snapshot must be a JSON object"),
		inv("string body", `"x"`, "snapshot must be a JSON object"),
		inv("duplicate key", `{"version":"a","version":"b"}`, "snapshot is not valid JSON: …"),
		inv("lone surrogate", body(`"provenance":{"x":"\ud800"}`), "snapshot is not valid JSON: …"),
		inv("invalid UTF-8", "{\"version\":\"\xff\"}", "snapshot is not valid JSON: …"),
		inv("nesting too deep", body(`"stress":{"x":`+strings.Repeat("[", 200)+strings.Repeat("]", 200)+`}`), "snapshot is not valid JSON: …"),
		{"control character in world", controlWorld, errcode.SnapshotInvalid, http.StatusUnprocessableEntity, "world_id contains control characters"},

		// D14: unknown keys first, in sorted order.
		inv("unknown field", body(`"zeta":1,"alpha":2`), "unknown field alpha"),
		inv("unknown field before missing as_of", without("as_of", `"extra":1`), "unknown field extra"),
		inv("kafka wire field on HTTP", body(`"event_version":1`), "unknown field event_version"),
		inv("idempotency_key on HTTP", body(`"idempotency_key":"k"`), "unknown field idempotency_key"),

		// as_of (D13).
		inv("as_of missing", without("as_of", ""), "as_of is required"),
		inv("as_of number", without("as_of", `"as_of":20250101`), "as_of is required"),
		inv("as_of empty", without("as_of", `"as_of":""`), "as_of is required"),
		inv("as_of null", without("as_of", `"as_of":null`), "as_of is required"),
		inv("as_of date only", without("as_of", `"as_of":"2025-01-01"`), "invalid as_of timestamp: 2025-01-01"),
		inv("as_of basic format", without("as_of", `"as_of":"20250101T000000Z"`), "invalid as_of timestamp: 20250101T000000Z"),
		inv("as_of space", without("as_of", `"as_of":"2025-01-01 00:00:00Z"`), "invalid as_of timestamp: 2025-01-01 00:00:00Z"),
		inv("as_of no seconds", without("as_of", `"as_of":"2025-01-01T00:00Z"`), "invalid as_of timestamp: 2025-01-01T00:00Z"),
		inv("as_of Feb 30", without("as_of", `"as_of":"2025-02-30T00:00:00Z"`), "invalid as_of timestamp: 2025-02-30T00:00:00Z"),
		inv("as_of leap second", without("as_of", `"as_of":"2016-12-31T23:59:60Z"`), "invalid as_of timestamp: 2016-12-31T23:59:60Z"),
		inv("as_of ten fraction digits", without("as_of", `"as_of":"2025-01-01T00:00:00.0123456789Z"`), "invalid as_of timestamp: 2025-01-01T00:00:00.0123456789Z"),
		inv("as_of bad offset", without("as_of", `"as_of":"2025-01-01T00:00:00+0900"`), "invalid as_of timestamp: 2025-01-01T00:00:00+0900"),

		// version.
		inv("version missing", without("version", ""), "version is required"),
		inv("version number", without("version", `"version":1`), "version is required"),
		inv("version empty", without("version", `"version":""`), "version is required"),

		// weights (D2).
		inv("weights missing", without("weights", ""), "weights are required"),
		inv("weights empty", without("weights", `"weights":{}`), "weights are required"),
		inv("weights array", without("weights", `"weights":[0.5,0.5]`), "weights are required"),
		inv("weights numeric string", without("weights", `"weights":{"a":"0.5","b":0.5}`), "weights must be numeric"),
		inv("weights boolean", without("weights", `"weights":{"a":true}`), "weights must be numeric"),
		inv("weights null", without("weights", `"weights":{"a":null,"b":1}`), "weights must be numeric"),
		inv("weights NaN", without("weights", `"weights":{"a":NaN,"b":1}`), "weights must be numeric"),
		inv("weights Infinity", without("weights", `"weights":{"a":Infinity}`), "weights must be numeric"),
		inv("weights -Infinity", without("weights", `"weights":{"a":-Infinity,"b":1}`), "weights must be numeric"),
		inv("weights overflow", without("weights", `"weights":{"a":1e400}`), "weights must be numeric"),
		inv("weights nested", without("weights", `"weights":{"a":{"v":1}}`), "weights must be numeric"),
		inv("weights 0.9989", without("weights", `"weights":{"a":0.5,"b":0.4989}`), "weights must sum to ~1.0"),
		inv("weights 1.0011", without("weights", `"weights":{"a":0.5,"b":0.5011}`), "weights must sum to ~1.0"),
		inv("weights sum zero", without("weights", `"weights":{"a":1,"b":-1}`), "weights must sum to ~1.0"),
		inv("weights sum negative", without("weights", `"weights":{"a":-1}`), "weights must sum to ~1.0"),

		// ttl_sec (D3).
		inv("ttl fraction", body(`"ttl_sec":60.5`), "ttl_sec must be an integer"),
		inv("ttl 60.0", body(`"ttl_sec":60.0`), "ttl_sec must be an integer"),
		inv("ttl exponent", body(`"ttl_sec":6e1`), "ttl_sec must be an integer"),
		inv("ttl string", body(`"ttl_sec":"60"`), "ttl_sec must be an integer"),
		inv("ttl boolean", body(`"ttl_sec":true`), "ttl_sec must be an integer"),
		inv("ttl NaN", body(`"ttl_sec":NaN`), "ttl_sec must be an integer"),
		inv("ttl zero", body(`"ttl_sec":0`), "ttl_sec must be positive"),
		inv("ttl minus zero", body(`"ttl_sec":-0`), "ttl_sec must be positive"),
		inv("ttl negative", body(`"ttl_sec":-5`), "ttl_sec must be positive"),
		inv("ttl hugely negative", body(`"ttl_sec":-99999999999999999999999`), "ttl_sec must be positive"),
		inv("ttl above max", body(`"ttl_sec":86401`), "ttl_sec must be <= 86400"),
		inv("ttl beyond int64", body(`"ttl_sec":99999999999999999999999`), "ttl_sec must be <= 86400"),

		// realized returns (§2.7, D20).
		inv("realized ref empty", body(`"realized_returns_ref":""`), "realized_returns_ref must be a non-empty string when provided"),
		inv("realized ref blank", body(`"realized_returns_ref":" \t "`), "realized_returns_ref must be a non-empty string when provided"),
		inv("realized ref number", body(`"realized_returns_ref":5`), "realized_returns_ref must be a non-empty string when provided"),
		inv("realized empty object", body(`"realized_returns":{}`), "realized_returns must be non-empty when provided"),
		inv("realized blank key", body(`"realized_returns":{" ":[0.1]}`), "realized_returns keys must be non-empty strings"),
		inv("realized series not array", body(`"realized_returns":{"a":"0.1"}`), "realized_returns[a] must be a sequence of finite floats"),
		inv("realized series object", body(`"realized_returns":{"a":{"x":1}}`), "realized_returns[a] must be a sequence of finite floats"),
		inv("realized boolean", body(`"realized_returns":{"a":[0.1,true]}`), "realized_returns[a] contains invalid boolean value"),
		inv("realized string", body(`"realized_returns":{"a":["0.1"]}`), "realized_returns[a] contains non-numeric value"),
		inv("realized string NaN", body(`"realized_returns":{"a":["NaN"]}`), "realized_returns[a] contains non-numeric value"),
		inv("realized null", body(`"realized_returns":{"a":[null]}`), "realized_returns[a] contains non-numeric value"),
		inv("realized NaN", body(`"realized_returns":{"a":[0.1,NaN]}`), "realized_returns[a] contains non-finite value"),
		inv("realized Infinity", body(`"realized_returns":{"a":[Infinity]}`), "realized_returns[a] contains non-finite value"),
		inv("realized -Infinity", body(`"realized_returns":{"a":[-Infinity]}`), "realized_returns[a] contains non-finite value"),
		inv("realized overflow", body(`"realized_returns":{"a":[1e400]}`), "realized_returns[a] contains non-finite value"),
		inv("realized empty series", body(`"realized_returns":{"a":[]}`), "realized_returns[a] must be non-empty"),
		inv("realized key trimmed in message", body(`"realized_returns":{" a ":[]}`), "realized_returns[a] must be non-empty"),
		inv("realized series too long", body(`"realized_returns":{"a":`+series(200_001)+`}`), "realized_returns series too long for 'a'"),
		inv("realized total too long", body(sixSeries), "realized_returns total points exceed limit"),
		inv("realized bare too long", body(`"realized_returns":`+series(1_000_001)), "realized_returns series too long"),
		inv("realized bare boolean", body(`"realized_returns":[false]`), "realized_returns contains invalid boolean value"),
		inv("realized bare NaN", body(`"realized_returns":[NaN]`), "realized_returns contains non-finite value"),
		inv("realized bare empty", body(`"realized_returns":[]`), "realized_returns must be non-empty"),
		inv("realized number", body(`"realized_returns":5`), "realized_returns must be a mapping[str, sequence[float]] or a sequence[float]"),
		inv("realized string shape", body(`"realized_returns":"0.1,0.2"`), "realized_returns must be a mapping[str, sequence[float]] or a sequence[float]"),

		// covariance, references, stress, constraints ([PROPOSAL], D1).
		inv("covariance array", body(`"covariance":[1]`), "covariance must be an object"),
		inv("covariance string value", body(`"covariance":{"a,b":"0.1"}`), "covariance[a,b] must be a finite number"),
		inv("covariance NaN", body(`"covariance":{"a,a":NaN}`), "covariance[a,a] must be a finite number"),
		inv("covariance overflow", body(`"covariance":{"a:b":-1e999}`), "covariance[a:b] must be a finite number"),
		inv("covariance negative variance", body(`"covariance":{"a,b":-0.5,"a:a":-0.01}`), "covariance[a:a] is a negative variance"),
		inv("covariance_ref empty", body(`"covariance_ref":""`), "covariance_ref must be a non-empty string when provided"),
		inv("stress_ref number", body(`"stress_ref":1`), "stress_ref must be a non-empty string when provided"),
		inv("stress array", body(`"stress":[1]`), "stress must be an object"),
		inv("stress NaN", body(`"stress":{"crash":{"max_drawdown":NaN}}`), "stress contains non-finite value"),
		inv("stress Infinity in array", body(`"stress":{"x":[1,Infinity]}`), "stress contains non-finite value"),
		inv("stress overflow", body(`"stress":{"x":1.5e400}`), "stress contains non-finite value"),
		inv("stress huge integer", body(`"stress":{"x":`+strings.Repeat("9", 4301)+`}`), "stress contains non-finite value"),
		inv("constraints string", body(`"constraints":"max"`), "constraints must be an object"),
		inv("constraints -Infinity", body(`"constraints":{"m":-Infinity}`), "constraints contains non-finite value"),

		// provenance, actor, stage (§2.6).
		inv("provenance string", body(`"provenance":"gateway"`), "provenance must be an object"),
		inv("provenance NaN", body(`"provenance":{"x":NaN}`), "provenance contains non-finite value"),
		inv("actor mismatch", body(`"provenance":{"actor":"other"}`), "actor mismatch between payload and header"),
		inv("actor non-string", body(`"provenance":{"actor":5}`), "actor mismatch between payload and header"),
		inv("stage mismatch", body(`"provenance":{"stage":"live"}`), "stage mismatch between payload and header"),
		inv("stage case matters", body(`"provenance":{"stage":"Paper"}`), "stage mismatch between payload and header"),

		// hash (D1).
		inv("hash number", body(`"hash":5`), "hash must be a string when provided"),
		{"hash other algorithm", httpIn(body(`"hash":"blake3:00"`)), errcode.SnapshotHashMismatch, http.StatusUnprocessableEntity, "hash mismatch"},
		{"hash upper case", httpIn(body(`"hash":"SHA256:2DB8"`)), errcode.SnapshotHashMismatch, http.StatusUnprocessableEntity, "hash mismatch"},

		// Kafka ingress: actor and stage from provenance, world from data.
		kinv("kafka world missing", body(`"provenance":{"actor":"a","stage":"s"}`), "world_id is required"),
		kinv("kafka world not a string", body(`"world_id":5,"provenance":{"actor":"a","stage":"s"}`), "world_id is required"),
		kinv("kafka actor missing", body(`"world_id":"w"`), "actor is required"),
		kinv("kafka actor empty", body(`"world_id":"w","provenance":{"actor":"","stage":"s"}`), "actor is required"),
		kinv("kafka actor not a string", body(`"world_id":"w","provenance":{"actor":7,"stage":"s"}`), "actor is required"),
		kinv("kafka stage missing", body(`"world_id":"w","provenance":{"actor":"a"}`), "stage is required"),
		kinv("kafka created_at", body(`"world_id":"w","provenance":{"actor":"a","stage":"s"},"created_at":"yesterday"`), "invalid created_at timestamp: yesterday"),
		kinv("kafka created_at number", body(`"world_id":"w","provenance":{"actor":"a","stage":"s"},"created_at":5`), "invalid created_at timestamp: 5"),
		kinv("kafka unknown field", body(`"world_id":"w","provenance":{"actor":"a","stage":"s"},"source":"x"`), "unknown field source"),
		{"kafka key mismatch", keyMismatch, errcode.SnapshotInvalid, http.StatusUnprocessableEntity, "world_id mismatch"},
	}
}

func TestContractRejects(t *testing.T) {
	for _, tc := range rejections() {
		t.Run(tc.name, func(t *testing.T) {
			s, err := contract().Parse(tc.in)
			if err == nil {
				t.Fatalf("accepted: %+v", s)
			}
			e, ok := errcode.From(err)
			if !ok {
				t.Fatalf("error without code: %v", err)
			}
			if e.Code != tc.code || e.HTTPStatus() != tc.status {
				t.Fatalf("%s (%d) %q, want %s (%d)", e.Code, e.HTTPStatus(), e.Message, tc.code, tc.status)
			}
			if prefix, ok := strings.CutSuffix(tc.msg, "…"); ok {
				if !strings.HasPrefix(e.Message, prefix) {
					t.Fatalf("message %q, want prefix %q", e.Message, prefix)
				}
			} else if e.Message != tc.msg {
				t.Fatalf("message %q, want %q", e.Message, tc.msg)
			}
		})
	}
}

func TestAllowLists(t *testing.T) {
	c := contract()
	c.AllowedActors, c.AllowedStages = []string{"gateway", "risk-engine"}, []string{"paper", "live"}
	in := httpIn(body(""))
	if _, err := c.Parse(in); err != nil {
		t.Fatal(err)
	}
	in.HeaderActor = "intruder"
	_, err := c.Parse(in)
	expectErr(t, err, errcode.SnapshotInvalid, "actor 'intruder' not allowed")
	in.HeaderActor, in.HeaderStage = "gateway", "backtest"
	_, err = c.Parse(in)
	expectErr(t, err, errcode.SnapshotInvalid, "stage 'backtest' not allowed")
	in.HeaderStage = "Paper" // exact, case-sensitive
	_, err = c.Parse(in)
	expectErr(t, err, errcode.SnapshotInvalid, "stage 'Paper' not allowed")
	// Actor is checked before stage.
	in.HeaderActor = "x"
	_, err = c.Parse(in)
	expectErr(t, err, errcode.SnapshotInvalid, "actor 'x' not allowed")
}

func TestContractAccepts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    risksnapshot.Input
		check func(t *testing.T, s *risksnapshot.Snapshot)
	}{
		{"world_id equal to the path", httpIn(body(`"world_id":"w"`)), nil},
		{"world_id empty is ignored", httpIn(body(`"world_id":""`)), nil},
		{"world_id null is ignored", httpIn(body(`"world_id":null`)), nil},
		{"weights 1.001", httpIn(without("weights", `"weights":{"a":0.5,"b":0.501}`)), nil},
		{"weights 0.999 (D2 symmetric band)", httpIn(without("weights", `"weights":{"a":0.5,"b":0.499}`)), nil},
		{"ttl default", httpIn(body("")), func(t *testing.T, s *risksnapshot.Snapshot) {
			if s.TTLSec != 900 {
				t.Fatalf("ttl %d", s.TTLSec)
			}
		}},
		{"ttl null is the default", httpIn(body(`"ttl_sec":null`)), func(t *testing.T, s *risksnapshot.Snapshot) {
			if s.TTLSec != 900 {
				t.Fatalf("ttl %d", s.TTLSec)
			}
		}},
		{"ttl max", httpIn(body(`"ttl_sec":86400`)), nil},
		{"client created_at ignored on HTTP", httpIn(body(`"created_at":"garbage"`)), func(t *testing.T, s *risksnapshot.Snapshot) {
			if !s.CreatedAt.IsZero() {
				t.Fatalf("created_at %v", s.CreatedAt)
			}
		}},
		{"as_of naive is UTC", httpIn(without("as_of", `"as_of":"2025-01-01T09:00:00"`)), func(t *testing.T, s *risksnapshot.Snapshot) {
			if !s.AsOfInstant.Equal(time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)) || s.AsOf != "2025-01-01T09:00:00" {
				t.Fatalf("as_of %q %v", s.AsOf, s.AsOfInstant)
			}
		}},
		{"as_of offset and fraction", httpIn(without("as_of", `"as_of":"2025-01-01t09:00:00.123456789+09:00"`)), func(t *testing.T, s *risksnapshot.Snapshot) {
			if !s.AsOfInstant.Equal(time.Date(2025, 1, 1, 0, 0, 0, 123456789, time.UTC)) {
				t.Fatalf("as_of %v", s.AsOfInstant)
			}
		}},
		{"realized keys trimmed", httpIn(body(`"realized_returns":{" a ":[1,2]}`)), func(t *testing.T, s *risksnapshot.Snapshot) {
			if got := s.RealizedReturns.ByStrategy["a"]; len(got) != 2 || got[0] != 1 {
				t.Fatalf("realized %+v", s.RealizedReturns)
			}
		}},
		{"realized underflow is zero", httpIn(body(`"realized_returns":[1e-400]`)), nil},
		{"refs trimmed", httpIn(body(`"covariance_ref":"  x  "`)), func(t *testing.T, s *risksnapshot.Snapshot) {
			if s.CovarianceRef != "x" {
				t.Fatalf("ref %q", s.CovarianceRef)
			}
		}},
		{"covariance negative off-diagonal", httpIn(body(`"covariance":{"a,b":-0.5,"a,a":0}`)), nil},
		{"hash empty string is absent", httpIn(body(`"hash":""`)), nil},
		{"provenance equal to the headers", httpIn(body(`"provenance":{"actor":"gateway","stage":"paper","actor_note":null}`)), nil},
		{"provenance actor null is absent", httpIn(body(`"provenance":{"actor":null}`)), func(t *testing.T, s *risksnapshot.Snapshot) {
			if s.Actor != "gateway" || !strings.Contains(string(s.Provenance), `"actor":"gateway"`) {
				t.Fatalf("provenance %s", s.Provenance)
			}
		}},
		{"kafka", kafkaIn(body(`"world_id":"w","provenance":{"actor":"a","stage":"s"},"event_version":1,"idempotency_key":"k","created_at":"2025-01-01T00:00:05Z"`)),
			func(t *testing.T, s *risksnapshot.Snapshot) {
				if s.WorldID != "w" || !s.CreatedAt.Equal(time.Date(2025, 1, 1, 0, 0, 5, 0, time.UTC)) {
					t.Fatalf("%+v", s)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := contract().Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
			if h, err := s.ComputeHash(); err != nil || h != s.Hash || !strings.HasPrefix(h, "sha256:") || len(h) != 71 {
				t.Fatalf("hash %q / %q, %v", s.Hash, h, err)
			}
		})
	}
}

func TestWeightRuleEdges(t *testing.T) {
	// The binary64 facts of spec §2.3 that D2's tolerance turns around.
	a, b := 0.5, 0.499 // variables: constant arithmetic would be exact
	if math.Abs((a+b)-1) <= 1e-3 {
		t.Fatal("0.5+0.499 is within 1e-3 in binary64; the test premise is wrong")
	}
	if math.Abs((a+b)-1) > 1e-3+1e-9 {
		t.Fatal("0.5+0.499 is beyond the D2 band")
	}
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct{ body, world, stage string }{
		{`{"world_id":"w","provenance":{"stage":"live"},"weights":{"a":NaN}}`, "w", "live"},
		{`{"world_id":5,"provenance":"x"}`, "", ""},
		{`{`, "", ""},
		{`[]`, "", ""},
	} {
		if w, s := risksnapshot.Labels([]byte(tc.body)); w != tc.world || s != tc.stage {
			t.Errorf("Labels(%s) = %q, %q", tc.body, w, s)
		}
	}
}
