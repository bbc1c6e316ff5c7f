package processor

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzParseSubmission: a submission body never panics the parser, a body it
// accepts names its world, and the return series' one-pass reading agrees
// with the element-by-element one: same values, and it never accepts what
// that one refuses.
func FuzzParseSubmission(f *testing.F) {
	for _, s := range []string{
		`{"strategy_id":"s1","stage":"backtest","returns":[0.01,-0.02,null,3e-4]}`,
		`{"strategy_id":"s1","returns":[1,"2",true]}`,
		`{"strategy_id":"s1","returns":[null,null]}`,
		`{"strategy_id":"s1","returns":[1e400]}`,
		`{"strategy_id":"s1","metrics":{"returns":{"sharpe":1.2}},"returns":[]}`,
		`{"strategy_id":"s1","returns":[0.1],"unknown":1}`,
		`[]`, `null`, `{"returns":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sub, err := parseSubmission("w", body, "key")
		if err == nil && sub.req.WorldID != "w" {
			t.Fatalf("accepted body names world %q", sub.req.WorldID)
		}
		var doc map[string]json.RawMessage
		if json.Unmarshal(body, &doc) != nil || doc["returns"] == nil {
			return
		}
		var fast, strict problems
		got, gotOK := parseReturns(&fast, "returns", doc["returns"])
		want, wantOK := parseReturnsStrict(&strict, "returns", doc["returns"])
		if len(fast) > 0 && len(strict) == 0 || len(fast) == 0 && len(strict) > 0 || gotOK != wantOK {
			t.Fatalf("returns %s: one-pass reading ok=%v problems %v, element by element ok=%v problems %v", doc["returns"], gotOK, fast, wantOK, strict)
		}
		if len(fast) > 0 {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("returns %s: %d values, element by element %d", doc["returns"], len(got), len(want))
		}
		for i := range got {
			switch {
			case (got[i] == nil) != (want[i] == nil):
				t.Fatalf("returns %s: element %d null in one reading only", doc["returns"], i)
			case got[i] != nil && math.Float64bits(*got[i]) != math.Float64bits(*want[i]):
				t.Fatalf("returns %s: element %d %v, element by element %v", doc["returns"], i, *got[i], *want[i])
			}
		}
	})
}
