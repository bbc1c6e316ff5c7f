package canon

import (
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
