package processor

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDecodeProblems checks the exact message, key path and line of every
// kind of problem the decoder reports.
func TestDecodeProblems(t *testing.T) {
	const tokenKeys = "(known keys here: principal, secret, secret_file, secret_env, scopes)"
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown key in a list element", `
auth:
  tokens:
    - principal: a
      secret: x
      scopes: [read]
    - principal: b
      scope: read
`, []string{"w.yaml:8: auth.tokens[1].scope: unknown key " + tokenKeys}},
		{"unknown top-level key", "listen: 1\n",
			[]string{"w.yaml:1: listen: unknown key (known keys here: data_dir, profile, http, log, auth, kafka, risk_hub, extended_validation, live_monitoring, exit, runtime)"}},
		{"unknown nested key", "http:\n  adr: x\nlog:\n  colour: red\n", []string{
			"w.yaml:2: http.adr: unknown key (known keys here: addr, read_header_timeout, read_timeout, write_timeout, idle_timeout, shutdown_timeout)",
			"w.yaml:4: log.colour: unknown key (known keys here: format, level)",
		}},
		{"the deprecated field is no key", "HTTPAddr: x\n",
			[]string{"w.yaml:1: HTTPAddr: unknown key (known keys here: data_dir, profile, http, log, auth, kafka, risk_hub, extended_validation, live_monitoring, exit, runtime)"}},
		{"reserved block", "postgres:\n  dsn: a\n", []string{
			"w.yaml:1: postgres: unknown key: the postgres block is reserved for a later release and not supported yet (known keys here: data_dir, profile, http, log, auth, kafka, risk_hub, extended_validation, live_monitoring, exit, runtime)",
		}},
		{"integer for a string", "data_dir: 42\n",
			[]string{`w.yaml:1: data_dir: expected a string, got an integer "42" (quote it to make it a string)`}},
		{"boolean for a string", "profile: true\n",
			[]string{`w.yaml:1: profile: expected a string, got a boolean "true" (quote it to make it a string)`}},
		{"timestamp for a string", "data_dir: 2026-01-02\n",
			[]string{`w.yaml:1: data_dir: expected a string, got a timestamp "2026-01-02" (quote it to make it a string)`}},
		{"custom tag", "data_dir: !dir here\n",
			[]string{`w.yaml:1: data_dir: expected a string, got a value tagged !dir "here" (quote it to make it a string)`}},
		{"scalar for a mapping", "http: 8080\n",
			[]string{`w.yaml:1: http: expected a mapping, got an integer "8080"`}},
		{"sequence for a string", "http:\n  addr: [a, b]\n",
			[]string{`w.yaml:2: http.addr: expected a string, got a sequence`}},
		{"integer for a duration", "http:\n  read_timeout: 30\n",
			[]string{`w.yaml:2: http.read_timeout: expected a duration such as "10s", got an integer "30"`}},
		{"bad duration", "http:\n\n  idle_timeout: soon\n",
			[]string{`w.yaml:3: http.idle_timeout: "soon" is not a duration such as "10s" or "1m30s"`}},
		{"mapping for a list", "auth:\n  tokens: {principal: a}\n",
			[]string{`w.yaml:2: auth.tokens: expected a sequence, got a mapping`}},
		{"string for a list element", "auth:\n  tokens: [x]\n",
			[]string{`w.yaml:2: auth.tokens[0]: expected a mapping, got a string "x"`}},
		{"string for the scopes", "auth:\n  tokens:\n  - scopes: read\n",
			[]string{`w.yaml:3: auth.tokens[0].scopes: expected a sequence, got a string "read"`}},
		{"wrong scalar in a list", "auth:\n  tokens:\n  - scopes:\n    - read\n    - 7\n    - ~\n", []string{
			`w.yaml:5: auth.tokens[0].scopes[1]: expected a string, got an integer "7" (quote it to make it a string)`,
			`w.yaml:6: auth.tokens[0].scopes[2]: expected a string, got null`,
		}},
		{"duplicate key", "http:\n  addr: a:1\n  addr: b:2\n",
			[]string{"w.yaml:3: http.addr: duplicate key (first at line 2)"}},
		{"merge key", "base: &b {addr: a:1}\n", []string{
			"w.yaml:1: base: unknown key (known keys here: data_dir, profile, http, log, auth, kafka, risk_hub, extended_validation, live_monitoring, exit, runtime)",
		}},
		{"merge key used", "http:\n  <<: {addr: a:1}\n",
			[]string{"w.yaml:2: http.<<: merge keys are not supported; write the keys out"}},
		{"non-scalar key", "http:\n  ? [a]\n  : b\n",
			[]string{"w.yaml:2: http: expected a key, got a sequence"}},
		{"alias to the wrong type", "data_dir: &d /x\nhttp: *d\n",
			[]string{`w.yaml:1: http: expected a mapping, got a string "/x"`}},
		{"document not a mapping", "- a\n- b\n",
			[]string{"w.yaml:1: expected a mapping, got a sequence"}},
		{"two documents", "data_dir: a\n---\ndata_dir: b\n",
			[]string{"w.yaml:2: more than one YAML document; a configuration is one document"}},
		{"not YAML", "http:\n  addr: [\n",
			[]string{"w.yaml: not valid YAML: line 2: did not find expected node content"}},
		{"every problem at once", "listen: 1\ndata_dir: 2\nhttp:\n  addr: 3\n", []string{
			"w.yaml:1: listen: unknown key (known keys here: data_dir, profile, http, log, auth, kafka, risk_hub, extended_validation, live_monitoring, exit, runtime)",
			`w.yaml:2: data_dir: expected a string, got an integer "2" (quote it to make it a string)`,
			`w.yaml:4: http.addr: expected a string, got an integer "3" (quote it to make it a string)`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg Config
			assertProblems(t, decodeConfig("w.yaml", []byte(tc.yaml), &cfg), tc.want...)
		})
	}
}

// TestDecodeProblemsThroughLoadConfig checks that LoadConfig reports the
// file it read and the problem's line and path.
func TestDecodeProblemsThroughLoadConfig(t *testing.T) {
	path := writeConfig(t, "auth:\n  tokens:\n    - principal: a\n      scope: read\n")
	_, err := LoadConfig(path, nil, nil)
	want := path + ":4: auth.tokens[0].scope: unknown key"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want it to start with %q", err, want)
	}
}

func TestDecodeAliasesAndNulls(t *testing.T) {
	var cfg Config
	err := decodeConfig("w.yaml", []byte(`
data_dir: ~
log:
http:
  addr: &addr 127.0.0.1:9
  read_timeout: &t 3s
  write_timeout: *t
auth:
  tokens:
    - principal: a
      secret: "0123456789abcdef"
      scopes: &rw [read, "policy:write"]
    - principal: b
      secret: "fedcba9876543210"
      scopes: *rw
`), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "" || cfg.HTTP.Addr != "127.0.0.1:9" || cfg.HTTP.WriteTimeout != 3*time.Second ||
		!reflect.DeepEqual(cfg.Auth.Tokens[1].Scopes, []Scope{ScopeRead, ScopePolicyWrite}) {
		t.Fatalf("decoded %+v", cfg)
	}
}

// TestDecodeStopsAtMaxProblems keeps a file of garbage to a readable error.
func TestDecodeStopsAtMaxProblems(t *testing.T) {
	var b strings.Builder
	for i := range 3 * maxProblems {
		b.WriteString("k")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(": 1\n")
	}
	var cfg Config
	err := decodeConfig("w.yaml", []byte(b.String()), &cfg)
	ce, ok := err.(*ConfigError)
	if !ok || len(ce.Problems) != maxProblems+1 || ce.Problems[maxProblems].Msg != "too many problems; stopped looking" {
		t.Fatalf("err = %v", err)
	}
}

// decodeSample exercises the decoder's scalar kinds that Config does not use
// yet (booleans, integers), for the blocks later releases add.
type decodeSample struct {
	On     bool          `yaml:"on"`
	Count  int           `yaml:"count"`
	Small  int8          `yaml:"small"`
	Wait   time.Duration `yaml:"wait"`
	Names  []string      `yaml:"names"`
	Nested struct {
		X string `yaml:"x"`
	} `yaml:"nested"`
	Ignored string `yaml:"-"`
	private string
}

func TestDecodeScalarKinds(t *testing.T) {
	var s decodeSample
	err := decodeYAML("s.yaml", []byte("on: true\ncount: 0x10\nsmall: -8\nwait: 1m\nnames: [a, b]\nnested: {x: y}\n"), &s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.On || s.Count != 16 || s.Small != -8 || s.Wait != time.Minute || !reflect.DeepEqual(s.Names, []string{"a", "b"}) || s.Nested.X != "y" {
		t.Fatalf("decoded %+v", s)
	}
	_ = s.private
	err = decodeYAML("s.yaml", []byte("on: \"yes\"\ncount: 1.5\nsmall: 300\nIgnored: x\nprivate: y\n"), &s, nil)
	assertProblems(t, err,
		`s.yaml:1: on: expected a boolean, got a string "yes"`,
		`s.yaml:2: count: expected an integer, got a number "1.5"`,
		`s.yaml:3: small: "300" is not an integer that fits int8`,
		"s.yaml:4: Ignored: unknown key (known keys here: on, count, small, wait, names, nested)",
		"s.yaml:5: private: unknown key (known keys here: on, count, small, wait, names, nested)",
	)
}

// TestDecodeRefusesAliasBombs keeps a small file that names one large list
// many times over from costing quadratic time.
func TestDecodeRefusesAliasBombs(t *testing.T) {
	var b strings.Builder
	b.WriteString("auth:\n  tokens:\n  - &t {principal: p, scopes: &s [read")
	b.WriteString(strings.Repeat(", read", 2000))
	b.WriteString("]}\n")
	b.WriteString(strings.Repeat("  - *t\n", 2000))
	var cfg Config
	err := decodeConfig("w.yaml", []byte(b.String()), &cfg)
	if err == nil || !strings.Contains(err.Error(), "once aliases are expanded") {
		t.Fatalf("err = %.200v, want the alias-expansion refusal", err)
	}
}
