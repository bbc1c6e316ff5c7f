package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unique"
	"unsafe"

	"github.com/worldval/worldval/internal/jsonfast"
	"github.com/worldval/worldval/internal/jsonfast/jsonfasttest"
)

// marshalSlow is Marshal through encoding/json alone, the reference the fast
// paths must reproduce byte for byte.
func marshalSlow(v any) (json.RawMessage, error) {
	return jsonfasttest.MarshalNoHTML(v)
}

// decodeSlow decodes body into a new *T as the registry does without its
// fast path: exactly one object, unknown fields refused.
func decodeSlow[T any](body []byte) (*T, error) {
	p := new(T)
	if err := startsObject(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, err
	}
	if err := onlySpace(body, dec.InputOffset()); err != nil {
		return nil, err
	}
	return p, nil
}

// checkMarshal compares the fast encoding of v with encoding/json's: when the
// fast path does not decline, both succeed with the same bytes; when
// encoding/json fails, the fast path declines (so Marshal reports that
// error).
func checkMarshal(t *testing.T, v any) {
	t.Helper()
	slow, slowErr := marshalSlow(v)
	fast, ok := marshalFast(v)
	switch {
	case ok && slowErr != nil:
		t.Fatalf("%#v: fast path wrote %s, encoding/json fails: %v", v, fast, slowErr)
	case ok && !bytes.Equal(fast, slow):
		t.Fatalf("%#v:\nfast %s\nslow %s", v, fast, slow)
	}
	got, err := Marshal(v)
	if (err == nil) != (slowErr == nil) || !bytes.Equal(got, slow) {
		t.Fatalf("%#v: Marshal = %s, %v; encoding/json %s, %v", v, got, err, slow, slowErr)
	}
}

// checkDecode compares the fast decoding of body as a T with encoding/json's:
// when the fast path accepts, encoding/json accepts too and decodes a deeply
// equal value.
func checkDecode[T any, P interface {
	*T
	fastDecoder
}](t *testing.T, body []byte) (accepted bool) {
	t.Helper()
	fast := P(new(T))
	if !fast.decodeFast(body) {
		if !reflect.DeepEqual(*fast, *new(T)) {
			t.Fatalf("%q: a declining fast path changed the payload to %+v", body, *fast)
		}
		return false
	}
	slow, err := decodeSlow[T](body)
	if err != nil {
		t.Fatalf("%q: fast path accepted, encoding/json refuses: %v", body, err)
	}
	if !reflect.DeepEqual((*T)(fast), slow) {
		t.Fatalf("%q:\nfast %#v\nslow %#v", body, *fast, *slow)
	}
	return true
}

func float(f float64) *float64 { return &f }

func TestMarshalFastWritesWhatEncodingJSONWrites(t *testing.T) {
	odd := "a<b>&c \"q\" \\ \x00\x01\x1f\b\f\n\r\t é \u2028\u2029 \xff\xfe end"
	for _, v := range []any{
		EvaluationRunSubmitted{},
		EvaluationRunSubmitted{WorldID: "w", StrategyID: "s", RunID: "r", Stage: "backtest", RiskTier: "unknown", RequestHash: "sha256:00"},
		EvaluationRunSubmitted{
			WorldID: odd, StrategyID: odd, RunID: odd, Stage: odd, RiskTier: odd, ModelCardVersion: odd, CampaignID: odd,
			Metrics: json.RawMessage(" {\"returns\" : {\"sharpe\": 1.5e0, \"x\" :[ 1 , \"a b\\\" c\" ]}} \n"),
			Returns: ReturnSeries{float(0.01), nil, float(-0.02), float(1e-7), float(-1e21), float(123456789), float(math.Copysign(0, -1)), float(5e-324), float(math.MaxFloat64)},
			Params:  json.RawMessage(`{"periods_per_year":252}`), PolicyVersion: -3, RequestHash: odd, SubmittedBy: odd,
		},
		&EvaluationRunSubmitted{WorldID: "w", Returns: ReturnSeries{}, Metrics: json.RawMessage{}},
		(*EvaluationRunSubmitted)(nil),
		// Declined: values encoding/json refuses.
		EvaluationRunSubmitted{Returns: ReturnSeries{float(math.NaN())}},
		EvaluationRunSubmitted{Returns: ReturnSeries{float(math.Inf(-1))}},
		EvaluationRunSubmitted{Metrics: json.RawMessage(`{"a":}`)},
		MetricsComputed{},
		MetricsComputed{Metrics: json.RawMessage{}},
		MetricsComputed{Metrics: json.RawMessage(`{"sample":{"n":252}}`), Derivations: []string{"returns.sharpe", odd}, Inputs: json.RawMessage(`[1, 2]`)},
		MetricsComputed{Metrics: json.RawMessage(`null`), Derivations: []string{}},
		MetricsComputed{Metrics: json.RawMessage(`{"a":1} x`)},
		RuleEvaluated{},
		RuleEvaluated{Rule: "sample", Result: json.RawMessage(`{"status":"pass","details":{}}`), PolicyVersion: 3, RulesetHash: "blake3:00", Profile: "backtest"},
		RuleEvaluated{Rule: odd, Result: json.RawMessage("\t\"<&>\"\n"), Profile: odd},
		EvaluationCompleted{},
		EvaluationCompleted{Status: "pass", RecommendedStage: "paper_only", Active: true, ActiveSet: []string{"s1", odd}, PolicyVersion: 1,
			RulesetHash: "blake3:00", Profile: "paper", ValidationHealth: json.RawMessage(`{"metric_coverage_ratio":1}`),
			PolicySnapshot: json.RawMessage(`{ "a" : [ true , false , null ] }`), Note: odd},
		EvaluationCompleted{ActiveSet: []string{}},
		map[string]any{},
		map[string]any(nil),
		// Documents go through jsonfast.AppendAny, whose own tests cover
		// every type it knows.
		map[string]any{"z": 1.0, "a": map[string]any{"é": []any{nil, true, "x<y", 1e-7}}, odd: int64(-7), "raw": json.RawMessage(` {"k" : 1} `)},
		// Declined: a type outside the fast path, and a value encoding/json refuses.
		map[string]any{"t": struct{ A int }{1}},
		map[string]any{"nan": math.NaN()},
	} {
		checkMarshal(t, v)
	}
}

func TestMarshalFastDeclinesDeepDocuments(t *testing.T) {
	doc := map[string]any{}
	for range 2 * jsonfast.MaxDepth {
		doc = map[string]any{"a": doc}
	}
	if _, ok := marshalFast(doc); ok {
		t.Fatal("the fast path followed a document deeper than jsonfast.MaxDepth")
	}
	checkMarshal(t, doc)
}

func TestDecodeFastReadsWhatEncodingJSONReads(t *testing.T) {
	accepted := []string{
		`{}`,
		" \n{ \"world_id\" : \"w\" ,\"returns\":[0.01, null,-2e-3],\t\"policy_version\": -0 } \r\n",
		`{"world_id":"w","strategy_id":"s","run_id":"r","stage":"backtest","risk_tier":"unknown","model_card_version":"1","campaign_id":"c","metrics":{"a":[1,{"b":"\u00e9\n"}]},"returns":[],"params":{"periods_per_year":252},"policy_version":123456789012345678,"request_hash":"h","submitted_by":"é"}`,
	}
	declined := []string{
		``, `null`, `[]`, `{`, `{}x`, `{} {}`, `{"world_id":"w",}`, `{"world_id":"w"`,
		`{"World_Id":"w"}`, `{"unknown":1}`, `{"world_id":"w","world_id":"v"}`, `{"world\u005fid":"w"}`,
		`{"world_id":"a\nb"}`, `{"world_id":"a\u0041"}`, "{\"world_id\":\"\xff\"}", "{\"world_id\":\"\x01\"}", `{"world_id":null}`, `{"world_id":1}`,
		`{"policy_version":1.0}`, `{"policy_version":1e2}`, `{"policy_version":1234567890123456789}`, `{"policy_version":"1"}`, `{"policy_version":01}`,
		`{"metrics":{"a":}}`, `{"metrics":{"a":1,}}`, `{"metrics":[1 2]}`, `{"metrics":tru}`, `{"metrics":"\x"}`,
		`{"returns":null}`, `{"returns":["0.1"]}`, `{"returns":[1e400]}`, `{"returns":{}}`, `{"returns":[[1]]}`,
	}
	for _, body := range accepted {
		if !checkDecode[EvaluationRunSubmitted](t, []byte(body)) {
			t.Errorf("%s: fast path declined", body)
		}
	}
	for _, body := range declined {
		if checkDecode[EvaluationRunSubmitted](t, []byte(body)) {
			t.Errorf("%s: fast path accepted", body)
		}
	}
	for body, want := range map[string]bool{
		`{"metrics":{"returns":{"sharpe":1}},"derivations":["a","b"],"inputs":[1]}`: true,
		`{"metrics":1,"derivations":[]}`:                                            true,
		`{"metrics":1,"derivations":[ ]}`:                                           true,
		`{"derivations":["a",1]}`:                                                   false,
		`{"derivations":[1]}`:                                                       false,
		`{"derivations":["a\"b"]}`:                                                  false,
		`{"derivations":null}`:                                                      false,
		`{"metrics":1,"Metrics":2}`:                                                 false,
		`{"metrics":1,"derivations":["a"]}`:                                         true,
	} {
		if got := checkDecode[MetricsComputed](t, []byte(body)); got != want {
			t.Errorf("MetricsComputed %s: fast path accepted %v, want %v", body, got, want)
		}
	}
	for body, want := range map[string]bool{
		`{"rule":"sample","result":{"status":"pass"},"policy_version":1,"ruleset_hash":"x","profile":"p"}`: true,
		`{"rule":"sample","result":"x"}`:          true,
		`{"rule":"sample","result":null}`:         true,
		`{"rule":"sample","policy_version":true}`: false,
	} {
		if got := checkDecode[RuleEvaluated](t, []byte(body)); got != want {
			t.Errorf("RuleEvaluated %s: fast path accepted %v, want %v", body, got, want)
		}
	}
	for body, want := range map[string]bool{
		`{"status":"pass","recommended_stage":"x","active":true,"active_set":["s"],"policy_version":1,"ruleset_hash":"h","profile":"p","validation_health":{},"policy_snapshot":{"a":1},"note":"n"}`: true,
		`{"active":false,"active_set":[]}`: true,
		`{"active":null}`:                  false,
		`{"active":1}`:                     false,
		`{"active":"true"}`:                false,
	} {
		if got := checkDecode[EvaluationCompleted](t, []byte(body)); got != want {
			t.Errorf("EvaluationCompleted %s: fast path accepted %v, want %v", body, got, want)
		}
	}
}

// TestFastPathsCoverEveryField fills every field of each fast payload type
// with a non-zero value, so that a field added to a type without its fast
// path shows up as a difference from encoding/json, in both directions.
func TestFastPathsCoverEveryField(t *testing.T) {
	for _, v := range []any{&EvaluationRunSubmitted{}, &MetricsComputed{}, &RuleEvaluated{}, &EvaluationCompleted{}} {
		rv := reflect.ValueOf(v).Elem()
		for i := range rv.NumField() {
			f := rv.Field(i)
			switch f.Interface().(type) {
			case string:
				f.SetString("v" + rv.Type().Field(i).Name)
			case int:
				f.SetInt(int64(i + 1))
			case bool:
				f.SetBool(true)
			case json.RawMessage:
				f.Set(reflect.ValueOf(json.RawMessage(`{"k":[1,"x"]}`)))
			case []string:
				f.Set(reflect.ValueOf([]string{"a", "b"}))
			case ReturnSeries:
				f.Set(reflect.ValueOf(ReturnSeries{float(0.5), nil}))
			default:
				t.Fatalf("%T.%s: a field type the test does not fill", v, rv.Type().Field(i).Name)
			}
		}
		fast, ok := marshalFast(v)
		slow, err := marshalSlow(v)
		if !ok || err != nil || !bytes.Equal(fast, slow) {
			t.Fatalf("%T: fast %s (%v), encoding/json %s (%v)", v, fast, ok, slow, err)
		}
		got := reflect.New(rv.Type())
		if !got.Interface().(fastDecoder).decodeFast(slow) {
			t.Fatalf("%T: the fast path declined %s", v, slow)
		}
		if !reflect.DeepEqual(got.Interface(), v) {
			t.Fatalf("%T: decoded %+v, want %+v", v, got.Elem(), rv)
		}
	}
}

// FuzzFastPayloads decodes arbitrary bodies as each fast payload type: the
// fast path never accepts what encoding/json refuses and decodes what it
// accepts to the same value; whatever encoding/json decodes, the fast
// encoder writes as encoding/json does, and the registry decodes that back
// through its fast path.
func FuzzFastPayloads(f *testing.F) {
	for _, s := range []struct {
		typ  uint8
		body string
	}{
		{0, `{"world_id":"w","strategy_id":"s","run_id":"r","stage":"backtest","risk_tier":"unknown","returns":[0.01,null,-0.02],"metrics":{"returns":{"sharpe":1.2}},"params":{"periods_per_year":252},"policy_version":2,"request_hash":"h","submitted_by":"u"}`},
		{0, " {\"world_id\" : \"<w>\", \"returns\": [ 1e-7 , -0 ] } "},
		{0, `{"world_id":"w","world_id":"v"}`},
		{1, `{"metrics":{"diagnostics":{"search_intensity":1},"returns":{"sharpe":0.023058731814868432}},"derivations":["returns.sharpe","sample.regime_coverage"]}`},
		{1, `{"metrics":{"a":[1,2,{"b":null}]},"derivations":[],"inputs":{"x":"\u00e9"}}`},
		{2, `{"rule":"sample","result":{"status":"fail","details":{"violations":[{"metric":"x","min":2,"value":1,"blocking":true}]}},"policy_version":1,"ruleset_hash":"blake3:00","profile":"backtest"}`},
		{3, `{"status":"pass","recommended_stage":"paper_only","active":true,"active_set":["s"],"policy_version":1,"ruleset_hash":"x","validation_health":{"metric_coverage_ratio":1},"policy_snapshot":{"profile":"backtest"},"note":"n"}`},
		{3, `{"active":null,"Status":"x"}`},
	} {
		f.Add(s.typ, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, typ uint8, body []byte) {
		switch typ % 4 {
		case 0:
			fuzzPayload[EvaluationRunSubmitted](t, body)
		case 1:
			fuzzPayload[MetricsComputed](t, body)
		case 2:
			fuzzPayload[RuleEvaluated](t, body)
		case 3:
			fuzzPayload[EvaluationCompleted](t, body)
		}
	})
}

// fuzzPayload is one case of FuzzFastPayloads.
func fuzzPayload[T any, P interface {
	*T
	fastDecoder
}](t *testing.T, body []byte) {
	checkDecode[T, P](t, body)
	slow, err := decodeSlow[T](body)
	if err != nil {
		return
	}
	checkMarshal(t, *slow)
	enc, err := Marshal(*slow)
	if err != nil {
		return // NaN cannot occur, but a return series may be out of range
	}
	if !checkDecode[T, P](t, enc) {
		t.Fatalf("%q: the fast path declined the payload Marshal wrote: %s", body, enc)
	}
}

// embedding embeds a fast payload type: it is no such type, so Marshal
// encodes it whole, through encoding/json, not through the promoted fast
// path.
type embedding struct {
	RuleEvaluated
	Extra string `json:"extra"`
}

func TestMarshalDoesNotUsePromotedFastPaths(t *testing.T) {
	for _, v := range []any{embedding{RuleEvaluated{Rule: "r"}, "kept"}, &embedding{Extra: "kept"}} {
		got, err := Marshal(v)
		want, wantErr := marshalSlow(v)
		if err != nil || wantErr != nil || !bytes.Equal(got, want) || !strings.Contains(string(got), `"extra":"kept"`) {
			t.Errorf("Marshal(%#v) = %s, %v; encoding/json %s, %v", v, got, err, want, wantErr)
		}
	}
}

// TestDecodedNamesAreShared: two decodes of a run's derivations and active
// set hold the same strings, not copies of them, and the decoded lists stay
// what encoding/json makes of them.
func TestDecodedNamesAreShared(t *testing.T) {
	// Held handles keep the names in the intern table throughout, so a
	// collection between two decodes cannot make the second one intern a
	// new copy.
	held := []unique.Handle[string]{unique.Make("returns.sharpe"), unique.Make("returns.max_drawdown")}
	defer runtime.KeepAlive(held)
	var a, b MetricsComputed
	if !a.decodeFast([]byte(`{"metrics":{},"derivations":["returns.sharpe","returns.max_drawdown"]}`)) ||
		!b.decodeFast([]byte(`{"derivations": [ "returns.sharpe" , "returns.max_drawdown" ] ,"metrics":{}}`)) {
		t.Fatal("decode declined")
	}
	var c, d EvaluationCompleted
	if !c.decodeFast([]byte(`{"status":"pass","active_set":["returns.sharpe"]}`)) || !d.decodeFast([]byte(`{"status":"pass","active_set":["returns.sharpe"]}`)) {
		t.Fatal("decode declined")
	}
	want := []string{"returns.sharpe", "returns.max_drawdown"}
	if !reflect.DeepEqual(a.Derivations, want) || !reflect.DeepEqual(b.Derivations, want) || !reflect.DeepEqual(c.ActiveSet, want[:1]) {
		t.Fatalf("decoded %q, %q, %q", a.Derivations, b.Derivations, c.ActiveSet)
	}
	for i := range want {
		if p := unsafe.StringData(held[i].Value()); unsafe.StringData(a.Derivations[i]) != p || unsafe.StringData(b.Derivations[i]) != p {
			t.Errorf("derivation %d: two decodes hold two copies of %q", i, want[i])
		}
	}
	if p := unsafe.StringData(held[0].Value()); unsafe.StringData(c.ActiveSet[0]) != p || unsafe.StringData(d.ActiveSet[0]) != p {
		t.Errorf("active set: two decodes hold two copies of %q", c.ActiveSet[0])
	}
}

// TestDecodedFewValuedNamesAreShared: two decodes of the names with few
// values that the read models keep for every run (world, strategy, stage,
// risk tier, rule, ruleset hash, profile, verdict, recommended stage) hold
// the same strings; a name with an escape is left to encoding/json.
func TestDecodedFewValuedNamesAreShared(t *testing.T) {
	same := func(what, a, b string) {
		t.Helper()
		if a != b || unsafe.StringData(a) != unsafe.StringData(b) {
			t.Errorf("%s: two decodes hold %q and %q at two addresses", what, a, b)
		}
	}
	var s1, s2 EvaluationRunSubmitted
	sub := `{"world_id":"w","strategy_id":"s","run_id":"%s","stage":"paper","risk_tier":"high","request_hash":"h"}`
	if !s1.decodeFast([]byte(fmt.Sprintf(sub, "r1"))) || !s2.decodeFast([]byte(fmt.Sprintf(sub, "r2"))) {
		t.Fatal("decode declined")
	}
	same("world", s1.WorldID, s2.WorldID)
	same("strategy", s1.StrategyID, s2.StrategyID)
	same("stage", s1.Stage, s2.Stage)
	same("risk tier", s1.RiskTier, s2.RiskTier)
	var r1, r2 RuleEvaluated
	rule := `{"rule":"sample","result":{"status":"pass"},"policy_version":1,"ruleset_hash":"blake3:ab","profile":"backtest"}`
	if !r1.decodeFast([]byte(rule)) || !r2.decodeFast([]byte(rule)) {
		t.Fatal("decode declined")
	}
	same("rule", r1.Rule, r2.Rule)
	same("ruleset hash", r1.RulesetHash, r2.RulesetHash)
	same("profile", r1.Profile, r2.Profile)
	var c1, c2 EvaluationCompleted
	done := `{"status":"warn","recommended_stage":"paper_only","ruleset_hash":"blake3:ab","profile":"backtest","active_set":[]}`
	if !c1.decodeFast([]byte(done)) || !c2.decodeFast([]byte(done)) {
		t.Fatal("decode declined")
	}
	same("verdict", c1.Status, c2.Status)
	same("recommended stage", c1.RecommendedStage, c2.RecommendedStage)
	same("completion profile", c1.Profile, r1.Profile)
	var esc RuleEvaluated
	if esc.decodeFast([]byte(`{"rule":"sam\u0070le","result":{}}`)) {
		t.Fatal("a name with an escape was read by the fast path")
	}
}
