package jsonfast

import (
	"bytes"
	"encoding/json"
	"strings"
)

// decodeNumbers decodes the first value of doc into an any, numbers as
// json.Number.
func decodeNumbers(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// deep returns an array nested n deep, in a member "a" of an object when
// inObject is set.
func deep(n int, inObject bool) string {
	s := strings.Repeat("[", n) + strings.Repeat("]", n)
	if inObject {
		return `{"a":` + s + `}`
	}
	return s
}

// scanSeeds are JSON texts that exercise what the scanner must get right:
// every kind of value, whitespace in every place, escapes, characters
// json.Marshal escapes, invalid UTF-8, number forms, key order and repeated
// keys, nesting, and invalid JSON of every kind.
func scanSeeds() []string {
	return []string{
		// Values, compact and not.
		``, ` `, "\v{}", `null`, ` null `, `true`, `false`, `1`, ` 1 `, `-0`, `"s"`, `{}`, `[]`, " \t\r\n{ } \n",
		`{"a":1}`, `{"a":1} `, `{ "a" : 1 }`, "{\"a\":\t1}", `{"a":[1, 2]}`, `{ "a" : [ 1 , 2 ] , "b\" c" : { } }`,
		"[\n\t\"\\\\\" ,\r\"\\u00e9\"]", `{"a":[null,{"b":null}]}`, `{"a":{"b":{"c":{"d":[[[[{"e":null}]]]]}}}}`,
		// Numbers.
		`-0.5e+10`, `{"a":-0}`, `{"a":1.0}`, `{"a":1e-7}`, `{"a":1E+07}`, `{"a":123456789012345678901234567890}`,
		`01`, `1.`, `.5`, `-`, `1e`, `+1`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":+1}`,
		// Strings.
		`"a b"`, `"<&>"`, `{"a":"<&>"}`, `{"<":1}`, `"\u2028"`, "\"\u2028\"", "{\"a\":\"\u2029\"}", `{"a":"x\"y"}`,
		`{"a":"\u0041"}`, `{"\u0061":1}`, `{"a\/":1}`, `{"a":"\ud800"}`, "\"\xff\"", "{\"a\":\"\xff\"}", "{\"\xff\":1}",
		"\"\xed\xa0\x80\"", "\"é漢字😀\"", `"\x"`, `"\u12"`, `"\u12g4"`, "\"\x1f\"", "{\"a\":\"\x01\"}", "{\"a\":\"\t\"}", `"abc`, `"\`,
		`{"a":"\x"}`, "{\"a\":\"\u2028\"}",
		// Keys: order, repeats, names that differ in case only.
		`{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"a":{"x":1},"a":{"y":2}}`, `{"a":1,"b":{"d":1,"c":2}}`, `{"":1,"":2}`, `{"A":1,"a":2}`,
		`{"r":{"b":1, "a":"<"},"r":{"c":2}}`, `{"a":{"b":1,"c":{"d":2}},"z":[1,{"y":1,"x":2}]}`, "{\"validatıon\":1}", `{"a":null}`,
		// Literals and structure.
		`nul`, `tru`, `truex`, `{"a":tru}`, `{"a":nulll}`, `{"a":nul}`, `{"a":truex}`, `<&>`, `[1,]`, `[1 2]`,
		`{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{`, `}`, `{"a":{1:2}}`, `{"a":[1,]}`, `{"a":{"b":1,}}`, `[1] 2`, `{} {}`, `{}x`, `{"a":1}x`, `{"a":1}}`, `{"a":1}{"b":2}`,
		// Nesting around the bounds the callers use.
		deep(MaxDepth, false), deep(MaxDepth+1, false), deep(MaxDepth-1, true), deep(MaxDepth, true), deep(1200, false), deep(1200, true),
	}
}
