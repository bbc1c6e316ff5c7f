package processor

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// checkSplit compares splitObject with decodeObject's reading through
// encoding/json: when it accepts a body, that reading accepts it too, with
// the same members and values, byte for byte.
func checkSplit(t *testing.T, body []byte) (accepted bool) {
	t.Helper()
	fast, ok := splitObject(body)
	if !ok {
		return false
	}
	slow, err := decodeObjectTokens(body)
	if err != nil {
		t.Fatalf("%q: splitObject accepted, encoding/json refuses: %v", body, err)
	}
	if len(fast) != len(slow) {
		t.Fatalf("%q: %d members, encoding/json %d", body, len(fast), len(slow))
	}
	for i := range fast {
		if fast[i].name != slow[i].name || !bytes.Equal(fast[i].value, slow[i].value) {
			t.Fatalf("%q: member %d %q: %s, encoding/json %q: %s", body, i, fast[i].name, fast[i].value, slow[i].name, slow[i].value)
		}
	}
	return true
}

func TestSplitObjectReadsWhatDecodeObjectReads(t *testing.T) {
	returns := make([]string, 252)
	for i := range returns {
		returns[i] = fmt.Sprintf("%.6f", float64(i%13-6)/1000)
	}
	for _, body := range []string{
		`{}`, " \t\r\n{ } \n",
		`{"strategy_id":"s1","stage":"backtest","returns":[` + strings.Join(returns, ",") + `]}`,
		"{ \"a\" : 1 , \"b\" :\t[ true , false , null , -0.5e-3 , \"x\\\"\\u00e9\\n\" ] ,\"c\":{\"d\":{}} , \"é\": \"\xff\" }",
		`{"metrics":{"returns":{"sharpe":1.2}},"params":{"periods_per_year":252},"policy_version":3}`,
	} {
		if !checkSplit(t, []byte(body)) {
			t.Errorf("%q: splitObject declined", body)
		}
	}
	for _, body := range []string{
		``, ` `, "\v{}", `[]`, `null`, `"x"`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{} {}`, `{}x`, `{"a":1}}`,
		`{"a":1,"a":2}`, `{"a\u0062":1}`, `{"a\nb":1}`, "{\"\xff\":1}", "{\"a\x01\":1}",
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":+1}`, `{"a":tru}`, `{"a":nulll}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\t\"}",
		`{"a":[1,]}`, `{"a":{"b":1,}}`, `{"a":{1:2}}`, `{"a":[1 2]}`,
		`{"a":` + strings.Repeat("[", splitMaxDepth+1) + strings.Repeat("]", splitMaxDepth+1) + `}`,
	} {
		if checkSplit(t, []byte(body)) {
			t.Errorf("%q: splitObject accepted", body)
		}
	}
	many := make([]string, splitMaxMembers+1)
	for i := range many {
		many[i] = fmt.Sprintf(`"m%d":%d`, i, i)
	}
	if checkSplit(t, []byte("{"+strings.Join(many, ",")+"}")) {
		t.Error("splitObject accepted more than splitMaxMembers members")
	}
}

// TestSplitObjectValuesAreCopies: the members do not share the body's
// bytes, which a reader may reuse, and cannot grow into each other.
func TestSplitObjectValuesAreCopies(t *testing.T) {
	body := []byte(`{"a":[1],"b":[2]}`)
	members, ok := splitObject(body)
	if !ok {
		t.Fatal("declined")
	}
	copy(body, bytes.Repeat([]byte("x"), len(body)))
	_ = append(members[0].value, '!')
	if string(members[0].value) != `[1]` || string(members[1].value) != `[2]` {
		t.Fatalf("members %s %s", members[0].value, members[1].value)
	}
}

// FuzzDecodeObject: splitObject never accepts a body that decodeObject's
// reading through encoding/json refuses, and reads the same members from
// the bodies it accepts.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		`{"strategy_id":"s1","stage":"backtest","returns":[0.01,-0.02,null,3e-4]}`,
		` {"a" : {"b":[1, "x\u00e9\"", true]} , "c":null} `,
		`{"a":1,"a":2}`, `{"a\u0062":1}`, `[]`, `{"a":1}x`, "{\"\xff\":1}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSplit(t, body)
		if _, err := decodeObject(body); (err == nil) != (func() bool { _, err := decodeObjectTokens(body); return err == nil })() {
			t.Fatalf("%q: decodeObject and its encoding/json reading disagree", body)
		}
	})
}

// BenchmarkDecodeObject reads the body `worldval bench ingest` submits (252
// returns with six decimals): decodeObject, and its reading through
// encoding/json alone.
func BenchmarkDecodeObject(b *testing.B) {
	returns := make([]string, 252)
	for i := range returns {
		returns[i] = fmt.Sprintf("%.6f", float64(i%13-6)/1000+float64(i)/1e6)
	}
	body := []byte(`{"strategy_id":"s042","run_id":"r1795675422-0000042","stage":"backtest","risk_tier":"unknown","returns":[` +
		strings.Join(returns, ",") + `]}`)
	for _, bc := range []struct {
		name   string
		decode func([]byte) ([]jsonMember, error)
	}{{"decodeObject", decodeObject}, {"encoding-json", decodeObjectTokens}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("parseSubmission", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseSubmission("bench", body, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}
