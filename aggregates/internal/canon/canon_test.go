package canon

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestJSON(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[true,false,null,"x"]}`, `{"a":[true,false,null,"x"],"b":1}`},
		{" {\n \"z\" : {\"y\":1.0, \"x\":1e2} }\t", `{"z":{"x":1e2,"y":1.0}}`},
		{`"<\u0041>"`, `"<A>"`},
		{`{"a":1,"a":2}`, `{"a":2}`},
		{`[]`, `[]`},
		{`-0`, `-0`},
	}
	for _, tc := range cases {
		got, err := JSON([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("JSON(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `{} {}`, `{}}`, `nul`} {
		if got, err := JSON([]byte(bad)); err == nil {
			t.Errorf("JSON(%q) = %s, want an error", bad, got)
		}
	}
}

func TestHash(t *testing.T) {
	a, err := Hash([]byte(`{"a":1,"b":[1,2]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Hash([]byte("{ \"b\": [1, 2], \"a\": 1 }"))
	c, _ := Hash([]byte(`{"a":1,"b":[2,1]}`))
	if a != b || a == c || !strings.HasPrefix(a, "sha256:") || len(a) != len("sha256:")+64 {
		t.Fatalf("Hash: %s %s %s", a, b, c)
	}
	// sha256 of `{}` computed outside Go (coreutils sha256sum).
	if h, _ := Hash([]byte(" { } ")); h != "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" {
		t.Fatalf("Hash({}) = %s", h)
	}
}

// TestWriteStringMatchesEncodingJSON: the fast path for plain ASCII writes
// what encoding/json (without HTML escaping) writes, for every byte and for
// strings that must take the slow path.
func TestWriteStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "sharpe", "a b~", "<&>", "quote\"", `back\slash`, "tab\t", "é", "\u2028", "\x7f", "\xff"}
	for c := 0; c < 256; c++ {
		cases = append(cases, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	for _, s := range cases {
		var got, want bytes.Buffer
		writeString(&got, s)
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got.Bytes(), w) {
			t.Errorf("writeString(%q) = %s, encoding/json writes %s", s, got.Bytes(), w)
		}
	}
}

// FuzzJSON: the canonical form is a fixed point, and Hash is Sum of it.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[1.0,"x\u00e9",null,true]}`, `[{"z":{}},{"y":-0.5e3}]`, `"<tag>"`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := JSON(doc)
		if err != nil {
			return
		}
		again, err := JSON(c)
		if err != nil {
			t.Fatalf("the canonical form %s does not parse: %v", c, err)
		}
		if !bytes.Equal(c, again) {
			t.Fatalf("not a fixed point: %s then %s", c, again)
		}
		h, err := Hash(doc)
		if err != nil || h != Sum(c) {
			t.Fatalf("Hash = %q, %v; Sum of the canonical form = %q", h, err, Sum(c))
		}
	})
}
