package jsonfast

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzJSONAppenders compares the appenders and the scanner with
// encoding/json on arbitrary text: as a string, as a document to compact,
// and, when it is valid JSON, as a decoded document to encode; its first
// eight bytes as a float64.
func FuzzJSONAppenders(f *testing.F) {
	for _, s := range []string{`{"b":[1,2.5e-9,"x<y"],"a":{"c":null,"d":true}}`, " [ 1 , { \"\u2028\" : \"\xff\" } ] ", `"\ud800"`, `1e400`, `-0`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		checkString(t, string(text))
		checkCompact(t, text)
		checkScan(t, text, MaxDepth)
		var doc any
		if json.Unmarshal(text, &doc) == nil {
			checkAny(t, map[string]any{"doc": doc})
		}
		if len(text) >= 8 {
			checkFloat(t, math.Float64frombits(uint64(text[0])|uint64(text[1])<<8|uint64(text[2])<<16|uint64(text[3])<<24|
				uint64(text[4])<<32|uint64(text[5])<<40|uint64(text[6])<<48|uint64(text[7])<<56))
		}
	})
}

// FuzzAppenders compares the string and float appenders with encoding/json
// on arbitrary input, strings with and without HTML escaping.
func FuzzAppenders(f *testing.F) {
	f.Add("<a>&\u2028\xff\x00", uint64(0x3f9798b7a8d7c0f2))
	f.Add("", uint64(0x7ff8000000000001))
	f.Fuzz(func(t *testing.T, s string, bits uint64) {
		checkString(t, s)
		checkFloat(t, math.Float64frombits(bits))
	})
}
