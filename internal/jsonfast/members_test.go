package jsonfast

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// tokenMember is a member as encoding/json's tokenizer reads it.
type tokenMember struct {
	name  string
	value json.RawMessage
}

// membersTokens reads body as exactly one JSON object through
// encoding/json's tokenizer: the reference of AppendMembers.
func membersTokens(body []byte) ([]tokenMember, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	var ms []tokenMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		ms = append(ms, tokenMember{name: tok.(string), value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the object: %v", err)
	}
	return ms, nil
}

// checkMembers compares AppendMembers with encoding/json's tokenizer: when
// it accepts body, so does the tokenizer, with the same members, names
// (when plain) and values byte for byte, and the forms hold; when it
// declines, the tokenizer refuses body or body nests too deep.
func checkMembers(t *testing.T, body []byte, maxDepth int) (accepted bool) {
	t.Helper()
	prefix := []Member{{Name: []byte("kept")}}
	got, ok := AppendMembers(prefix, body, maxDepth)
	want, err := membersTokens(body)
	if !ok {
		if len(got) != 1 || string(got[0].Name) != "kept" {
			t.Fatalf("%q: a declining AppendMembers returned %v", body, got)
		}
		if err == nil && nesting(t, body) <= maxDepth {
			t.Fatalf("%q: AppendMembers declined an object encoding/json reads", body)
		}
		return false
	}
	if err != nil {
		t.Fatalf("%q: AppendMembers accepted, encoding/json refuses: %v", body, err)
	}
	got = got[1:]
	if len(got) != len(want) {
		t.Fatalf("%q: %d members, encoding/json %d", body, len(got), len(want))
	}
	for i, m := range got {
		if m.NameForm.Plain() != (string(m.Name) == want[i].name) || !bytes.Equal(m.Value, want[i].value) {
			t.Fatalf("%q: member %d %q (%05b): %s, encoding/json %q: %s", body, i, m.Name, m.NameForm, m.Value, want[i].name, want[i].value)
		}
		checkForm(t, append([]byte(`"`+string(m.Name)), '"'), m.NameForm)
		checkForm(t, m.Value, m.Form)
	}
	return true
}

func TestAppendMembersReadsWhatEncodingJSONReads(t *testing.T) {
	returns := make([]string, 252)
	for i := range returns {
		returns[i] = fmt.Sprintf("%.6f", float64(i%13-6)/1000)
	}
	for _, body := range []string{
		`{}`, " \t\r\n{ } \n", `{"a":1,"a":2}`, `{"a\u0062":1}`, `{"a\nb":1}`, "{\"\xff\":1}", `{"b":{"d":1,"c":[1,2]},"a":"<"}`,
		`{"strategy_id":"s1","stage":"backtest","returns":[` + strings.Join(returns, ",") + `]}`,
		"{ \"a\" : 1 , \"b\" :\t[ true , false , null , -0.5e-3 , \"x\\\"\\u00e9\\n\" ] ,\"c\":{\"d\":{}} , \"é\": \"\xff\" }",
		`{"metrics":{"returns":{"sharpe":1.2}},"params":{"periods_per_year":252},"policy_version":3}`,
		deep(MaxDepth-1, true),
	} {
		if !checkMembers(t, []byte(body), MaxDepth) {
			t.Errorf("%q: AppendMembers declined", body)
		}
	}
	for _, body := range []string{
		``, ` `, "\v{}", `[]`, `null`, `"x"`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{} {}`, `{}x`, `{"a":1}}`,
		"{\"a\x01\":1}", `{"a":01}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\t\"}", `{"a":[1,]}`, `{"a":{1:2}}`, `{1:2}`,
		deep(MaxDepth, true),
	} {
		if checkMembers(t, []byte(body), MaxDepth) {
			t.Errorf("%q: AppendMembers accepted", body)
		}
	}
	for _, s := range scanSeeds() {
		checkMembers(t, []byte(s), MaxDepth)
		checkMembers(t, []byte(s), 1000)
	}
}

// TestAppendMembersOnTheCallersArray: an object of a few members is split
// into the caller's array, without allocating.
func TestAppendMembersOnTheCallersArray(t *testing.T) {
	body := []byte(`{"metrics":{"returns":{"sharpe":1.2}},"derivations":["a","b"],"inputs":[1]}`)
	allocs := testing.AllocsPerRun(100, func() {
		var buf [8]Member
		if ms, ok := AppendMembers(buf[:0], body, MaxDepth); !ok || len(ms) != 3 {
			t.Fatal("declined")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations", allocs)
	}
}

// FuzzMembers: AppendMembers never accepts what encoding/json's tokenizer
// refuses, and reads the same members from what it accepts.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{
		`{"strategy_id":"s1","stage":"backtest","returns":[0.01,-0.02,null,3e-4]}`,
		` {"a" : {"b":[1, "x\u00e9\"", true]} , "c":null} `,
		`{"a":1,"a":2}`, `{"a\u0062":1}`, `[]`, `{"a":1}x`, "{\"\xff\":1}", `{"b":1,"a":{"d":"<","c":2}}`,
	} {
		f.Add([]byte(s))
	}
	for _, s := range scanSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkMembers(t, body, MaxDepth)
	})
}
