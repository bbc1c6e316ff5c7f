package processor

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Secrets of the test tokens.
const (
	runnerSecret = "runner-0123456789abcdef"
	riskSecret   = "risk-0123456789abcdef"
	hubSecret    = "hub-0123456789abcdef"
)

// testAuthConfig has three tokens, one per secret source.
func testAuthConfig(t *testing.T) (AuthConfig, func(string) string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "risk.token")
	if err := os.WriteFile(file, []byte(riskSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return AuthConfig{Tokens: []TokenConfig{
		{Principal: "runner", Secret: runnerSecret, Scopes: []Scope{ScopeRead, ScopeSubmit}},
		{Principal: "risk", SecretFile: file, Scopes: []Scope{ScopeRead, ScopePolicyWrite, ScopeOverrideWrite}},
		{Principal: "hub", SecretEnv: "HUB_TOKEN", Scopes: []Scope{ScopeHubWrite}},
	}}, envMap(map[string]string{"HUB_TOKEN": hubSecret})
}

func newTestAuth(t *testing.T) *Authenticator {
	t.Helper()
	cfg, getenv := testAuthConfig(t)
	a, err := NewAuthenticator(cfg, getenv)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// whoami answers 200 with the principal Require put in the context.
func whoami() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			p = "<none>"
		}
		_, _ = w.Write([]byte(p))
	})
}

// serve sends r through a.Require(scope, whoami()).
func serve(a *Authenticator, scope Scope, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.Require(scope, whoami()).ServeHTTP(w, r)
	return w
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/runs", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// errorBody decodes the product's error body and checks its shape.
func errorBody(t *testing.T, w *httptest.ResponseRecorder) apiError {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	inner := raw["error"]
	if len(raw) != 1 || len(inner) != 3 || inner["code"] == nil || inner["message"] == nil || string(inner["details"][:1]) != "{" {
		t.Fatalf("body %s is not {\"error\": {\"code\", \"message\", \"details\": {…}}}", w.Body)
	}
	var body apiErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	return body.Error
}

func TestRequireUnauthenticated(t *testing.T) {
	a := newTestAuth(t)
	cases := []struct {
		name, challenge, message string
		header                   []string
	}{
		{"no header", `Bearer realm="worldval"`, "a bearer token is required (Authorization: Bearer TOKEN)", nil},
		{"basic scheme", `Bearer realm="worldval"`, "the Authorization header must use the Bearer scheme (Authorization: Bearer TOKEN)", []string{"Basic cnVubmVyOng="}},
		{"scheme alone", `Bearer realm="worldval"`, "the bearer token is empty", []string{"Bearer"}},
		{"empty token", `Bearer realm="worldval"`, "the bearer token is empty", []string{"Bearer   "}},
		{"two headers", `Bearer realm="worldval"`, "more than one Authorization header", []string{"Bearer " + runnerSecret, "Bearer " + riskSecret}},
		{"unknown token", `Bearer realm="worldval", error="invalid_token"`, "the bearer token matches no configured token", []string{"Bearer nope-0123456789abcdef"}},
		{"prefix of a token", `Bearer realm="worldval", error="invalid_token"`, "the bearer token matches no configured token", []string{"Bearer " + runnerSecret[:10]}},
		{"untrimmed file secret", `Bearer realm="worldval", error="invalid_token"`, "the bearer token matches no configured token", []string{"Bearer " + riskSecret + "%0A"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/runs", nil)
			for _, h := range tc.header {
				r.Header.Add("Authorization", h)
			}
			w := serve(a, ScopeRead, r)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", w.Code)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Fatalf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
			body := errorBody(t, w)
			if body.Code != "E_UNAUTHORIZED" || body.Message != tc.message || len(body.Details) != 0 {
				t.Fatalf("body %+v", body)
			}
		})
	}
}

// TestRequireScopeMatrix sends every token to a route of every scope: 200
// with the token's principal in the context when it holds the scope, 403
// otherwise.
func TestRequireScopeMatrix(t *testing.T) {
	a := newTestAuth(t)
	holds := map[string][]Scope{
		runnerSecret: {ScopeRead, ScopeSubmit},
		riskSecret:   {ScopeRead, ScopePolicyWrite, ScopeOverrideWrite},
		hubSecret:    {ScopeHubWrite},
	}
	principal := map[string]string{runnerSecret: "runner", riskSecret: "risk", hubSecret: "hub"}
	for secret, scopes := range holds {
		for _, scope := range Scopes() {
			w := serve(a, scope, bearer(secret))
			allowed := false
			for _, s := range scopes {
				allowed = allowed || s == scope
			}
			if allowed {
				if w.Code != http.StatusOK || w.Body.String() != principal[secret] {
					t.Errorf("%s on %s: status %d body %q, want 200 %q", principal[secret], scope, w.Code, w.Body, principal[secret])
				}
				continue
			}
			if w.Code != http.StatusForbidden {
				t.Errorf("%s on %s: status %d, want 403", principal[secret], scope, w.Code)
				continue
			}
			wantChallenge := `Bearer realm="worldval", error="insufficient_scope", scope="` + string(scope) + `"`
			if got := w.Header().Get("WWW-Authenticate"); got != wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, wantChallenge)
			}
			body := errorBody(t, w)
			wantDetails := map[string]any{"principal": principal[secret], "required_scope": string(scope)}
			if body.Code != "E_FORBIDDEN" || !reflect.DeepEqual(body.Details, wantDetails) ||
				body.Message != `principal "`+principal[secret]+`" lacks scope "`+string(scope)+`"` {
				t.Errorf("%s on %s: body %+v", principal[secret], scope, body)
			}
		}
	}
}

func TestRequireAcceptsLowercaseScheme(t *testing.T) {
	a := newTestAuth(t)
	r := httptest.NewRequest(http.MethodGet, "/runs", nil)
	r.Header.Set("Authorization", "bearer "+hubSecret)
	if w := serve(a, ScopeHubWrite, r); w.Code != http.StatusOK || w.Body.String() != "hub" {
		t.Fatalf("status %d body %q", w.Code, w.Body)
	}
}

// TestMatchComparesEveryToken exercises the constant-time path: whichever
// token matches, and when none does, the presented token's hash is compared
// with every configured hash, each time with crypto/subtle.
func TestMatchComparesEveryToken(t *testing.T) {
	a := newTestAuth(t)
	calls := 0
	a.compare = func(x, y []byte) int {
		calls++
		if len(x) != len(y) || len(x) != 32 {
			t.Fatalf("compared %d and %d bytes; want two SHA-256 hashes", len(x), len(y))
		}
		return subtle.ConstantTimeCompare(x, y)
	}
	for _, tc := range []struct {
		token, principal string
	}{{runnerSecret, "runner"}, {riskSecret, "risk"}, {hubSecret, "hub"}, {"x", ""}, {strings.Repeat("y", 4096), ""}} {
		calls = 0
		c, ok := a.match(tc.token)
		if ok != (tc.principal != "") || c.principal != tc.principal {
			t.Fatalf("match(%.10q) = %q, %v; want %q", tc.token, c.principal, ok, tc.principal)
		}
		if calls != 3 {
			t.Fatalf("match(%.10q) compared %d hashes, want all 3", tc.token, calls)
		}
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	crlf := write("crlf", "crlf-0123456789abcdef\r\n")
	bare := write("bare", "bare-0123456789abcdef")
	a, err := NewAuthenticator(AuthConfig{Tokens: []TokenConfig{
		{Principal: "crlf", SecretFile: crlf, Scopes: []Scope{ScopeRead}},
		{Principal: "bare", SecretFile: bare, Scopes: []Scope{ScopeRead}},
		{Principal: "env", SecretEnv: "ENV_TOKEN", Scopes: []Scope{ScopeRead}},
	}}, envMap(map[string]string{"ENV_TOKEN": "env-0123456789abcdef"}))
	if err != nil {
		t.Fatal(err)
	}
	for token, principal := range map[string]string{"crlf-0123456789abcdef": "crlf", "bare-0123456789abcdef": "bare", "env-0123456789abcdef": "env"} {
		if w := serve(a, ScopeRead, bearer(token)); w.Body.String() != principal {
			t.Errorf("token of %s: status %d body %q", principal, w.Code, w.Body)
		}
	}
}

// TestSecretRefusals checks every refused secret, each named by its key.
func TestSecretRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty", "\n")
	dup := write("dup", runnerSecret+"\n")
	big := write("big", strings.Repeat("z", maxSecretFileSize+1))
	missing := filepath.Join(dir, "missing")
	read := []Scope{ScopeRead}
	_, err := NewAuthenticator(AuthConfig{Tokens: []TokenConfig{
		{Principal: "a", Secret: runnerSecret, Scopes: read},
		{Principal: "b", SecretFile: empty, Scopes: read},
		{Principal: "c", SecretFile: dup, Scopes: read},
		{Principal: "d", SecretEnv: "UNSET", Scopes: read},
		{Principal: "e", SecretEnv: "DUP", Scopes: read},
		{Principal: "f", Secret: "short", Scopes: read},
		{Principal: "g", Secret: "has a space 0123456789", Scopes: read},
		{Principal: "h", SecretFile: missing, Scopes: read},
		{Principal: "i", SecretFile: dir, Scopes: read},
		{Principal: "j", SecretFile: big, Scopes: read},
		{Principal: "k", Secret: "naïve-0123456789abcdef", Scopes: read},
	}}, envMap(map[string]string{"DUP": runnerSecret}))
	assertProblems(t, err,
		"auth.tokens[1].secret_file: the secret is empty",
		"auth.tokens[2].secret_file: the same secret as auth.tokens[0]; every token needs its own",
		"auth.tokens[3].secret_env: environment variable UNSET is unset or empty",
		"auth.tokens[4].secret_env: the same secret as auth.tokens[0]; every token needs its own",
		"auth.tokens[5].secret: the secret is 5 bytes; at least 16 are required",
		"auth.tokens[6].secret: the secret contains whitespace, control or non-ASCII characters, which a bearer token cannot carry",
		"auth.tokens[7].secret_file: read secret: stat "+missing+": no such file or directory",
		"auth.tokens[8].secret_file: read secret: "+dir+" is not a regular file",
		"auth.tokens[9].secret_file: read secret: "+big+" is 4097 bytes, more than 4096",
		"auth.tokens[10].secret: the secret contains whitespace, control or non-ASCII characters, which a bearer token cannot carry",
	)
}

func TestNewAuthenticatorValidates(t *testing.T) {
	_, err := NewAuthenticator(AuthConfig{Tokens: []TokenConfig{{Principal: "a", Secret: runnerSecret, Scopes: []Scope{"admin"}}}}, nil)
	assertProblems(t, err, `auth.tokens[0].scopes[0]: unknown scope "admin" (want one of read, submit, policy:write, override:write, hub:write)`)
}

func TestRequireUnknownScopePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Require with an unknown scope did not panic")
		}
	}()
	newTestAuth(t).Require("admin", whoami())
}

// TestLoopbackOnly checks the no-token mode: loopback callers pass as
// "local" with every scope, everything else is refused with a reason.
func TestLoopbackOnly(t *testing.T) {
	a, err := NewAuthenticator(AuthConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !a.LoopbackOnly() {
		t.Fatal("LoopbackOnly() = false with no tokens")
	}
	cases := []struct {
		name, method, remote, host string
		header                     map[string]string
		reason                     string // "" for allowed
	}{
		{"ipv4 loopback", "POST", "127.0.0.1:5000", "127.0.0.1:8080", nil, ""},
		{"other 127/8 address", "POST", "127.8.9.10:5000", "localhost:8080", nil, ""},
		{"ipv6 loopback", "POST", "[::1]:5000", "[::1]:8080", nil, ""},
		{"ipv4-mapped loopback", "POST", "[::ffff:127.0.0.1]:5000", "localhost", nil, ""},
		{"token ignored", "POST", "127.0.0.1:5000", "localhost:8080", map[string]string{"Authorization": "Bearer whatever"}, ""},
		{"same-origin browser write", "POST", "127.0.0.1:5000", "localhost:8080", map[string]string{"Sec-Fetch-Site": "same-origin"}, ""},
		{"cross-site browser read", "GET", "127.0.0.1:5000", "localhost:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, ""},
		{"private network", "GET", "10.1.2.3:5000", "localhost:8080", nil, "loopback_only"},
		{"public address", "GET", "192.0.2.7:5000", "localhost:8080", nil, "loopback_only"},
		{"ipv6 address", "GET", "[2001:db8::1]:5000", "localhost:8080", nil, "loopback_only"},
		{"unparsable address", "GET", "somewhere", "localhost:8080", nil, "loopback_only"},
		{"reverse proxy", "GET", "127.0.0.1:5000", "localhost:8080", map[string]string{"X-Forwarded-For": "192.0.2.7"}, "proxied"},
		{"forwarded", "GET", "127.0.0.1:5000", "localhost:8080", map[string]string{"Forwarded": "for=192.0.2.7"}, "proxied"},
		{"dns rebinding", "GET", "127.0.0.1:5000", "evil.example:8080", nil, "host_not_loopback"},
		{"cross-site browser write", "POST", "127.0.0.1:5000", "localhost:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, "cross_origin"},
		{"cross-origin by Origin", "POST", "127.0.0.1:5000", "localhost:8080", map[string]string{"Origin": "https://evil.example"}, "cross_origin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/runs", nil)
			r.RemoteAddr, r.Host = tc.remote, tc.host
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			for _, scope := range Scopes() {
				w := serve(a, scope, r)
				if tc.reason == "" {
					if w.Code != http.StatusOK || w.Body.String() != LoopbackPrincipal {
						t.Fatalf("scope %s: status %d body %q, want 200 %q", scope, w.Code, w.Body, LoopbackPrincipal)
					}
					continue
				}
				if w.Code != http.StatusForbidden {
					t.Fatalf("scope %s: status %d, want 403", scope, w.Code)
				}
				body := errorBody(t, w)
				if body.Code != "E_FORBIDDEN" || body.Details["reason"] != tc.reason || !strings.Contains(body.Message, "no auth tokens are configured") {
					t.Fatalf("body %+v, want E_FORBIDDEN with reason %s", body, tc.reason)
				}
			}
		})
	}
}

func TestPrincipalContext(t *testing.T) {
	ctx := t.Context()
	if _, ok := PrincipalFrom(ctx); ok {
		t.Fatal("a bare context carries a principal")
	}
	if p, ok := PrincipalFrom(WithPrincipal(ctx, "auditor")); !ok || p != "auditor" {
		t.Fatalf("PrincipalFrom = %q, %v", p, ok)
	}
}
