package projections

import (
	"encoding/json"
	"testing"
)

func TestRuleResultsOrder(t *testing.T) {
	var rs RuleResults
	for _, name := range []string{"zeta", "stress", "robustness", "alpha", "data_currency", "sample", "performance", "risk_constraint", "cohort"} {
		rs = rs.set(name, json.RawMessage(`{"rule":"`+name+`"}`))
	}
	before := rs
	rs = rs.set("sample", json.RawMessage(`2`))
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"data_currency":{"rule":"data_currency"},"sample":2,"performance":{"rule":"performance"},"risk_constraint":{"rule":"risk_constraint"},` +
		`"robustness":{"rule":"robustness"},"cohort":{"rule":"cohort"},"stress":{"rule":"stress"},"alpha":{"rule":"alpha"},"zeta":{"rule":"zeta"}}`
	if string(b) != want {
		t.Fatalf("encoded\n got %s\nwant %s", b, want)
	}
	if r, _ := before.Get("sample"); string(r) != `{"rule":"sample"}` {
		t.Fatalf("set modified the slice it was called on: sample = %s", r)
	}
	var back RuleResults
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if b2, _ := json.Marshal(back); string(b2) != want {
		t.Fatalf("round trip\n got %s\nwant %s", b2, want)
	}
	if b, _ := json.Marshal(RuleResults(nil)); string(b) != `{}` {
		t.Fatalf("nil results encode as %s", b)
	}
	if err := json.Unmarshal([]byte(`null`), &back); err != nil || back != nil {
		t.Fatalf("null: %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`[1]`), &back); err == nil {
		t.Fatal("an array decoded as results")
	}
}
