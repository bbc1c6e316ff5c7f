package projections

import (
	"encoding/json"
	"testing"
)

func TestMergePatch(t *testing.T) {
	cases := []struct{ target, patch, want string }{
		{`{"a":1,"b":{"c":2,"d":3}}`, `{"b":{"c":null,"e":1e-7},"f":[1]}`, `{"a":1,"b":{"d":3,"e":1e-7},"f":[1]}`},
		{`{}`, `{"stress":{"x":{"dd":0.20}}}`, `{"stress":{"x":{"dd":0.20}}}`},
		{``, `{"a":1}`, `{"a":1}`},
		{`{"a":{"b":1}}`, `{"a":5}`, `{"a":5}`},
		{`{"a":1}`, ``, `{"a":1}`},
	}
	for _, c := range cases {
		got, err := mergePatch(json.RawMessage(c.target), json.RawMessage(c.patch))
		if err != nil {
			t.Fatalf("merge %s into %s: %v", c.patch, c.target, err)
		}
		if string(got) != c.want {
			t.Errorf("merge %s into %s = %s, want %s", c.patch, c.target, got, c.want)
		}
	}
	if _, err := mergePatch(json.RawMessage(`{}`), json.RawMessage(`{`)); err == nil {
		t.Error("a malformed patch merged")
	}
}

func TestCallerTimes(t *testing.T) {
	cases := map[string]string{
		"2026-03-02T10:15:30.250+01:00": "2026-03-02T09:15:30Z",
		"2026-03-02T09:15:30Z":          "2026-03-02T09:15:30Z",
		"2026-03-02T09:15:30":           "2026-03-02T09:15:30Z", // naive = UTC
		"2026-03-02 09:15:30.9":         "2026-03-02T09:15:30Z",
		"2026-03-02":                    "2026-03-02T00:00:00Z",
		" ":                             "",
		"next tuesday":                  "",
	}
	for in, want := range cases {
		if got := normalizeCallerTime(in); got != want {
			t.Errorf("normalizeCallerTime(%q) = %q, want %q", in, got, want)
		}
	}
}
