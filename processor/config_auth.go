package processor

import (
	"fmt"
	"strings"
	"unicode"
)

// AuthConfig configures the bearer tokens that authenticate API callers; see
// [NewAuthenticator]. It has no defaults: with no tokens, the service serves
// loopback callers only, as [LoopbackPrincipal].
type AuthConfig struct {
	// Tokens lists the accepted bearer tokens. Empty means loopback-only
	// access without tokens, which only the embedded profile allows.
	Tokens []TokenConfig `yaml:"tokens"`
}

// TokenConfig is one bearer token: who presents it, where its secret comes
// from (exactly one of Secret, SecretFile and SecretEnv), and what it may do.
type TokenConfig struct {
	// Principal names the caller; it becomes the actor of every event the
	// caller's requests append. Required, without whitespace, and not
	// [LoopbackPrincipal].
	Principal string `yaml:"principal"`
	// Secret is the token itself, inline. Prefer SecretFile or SecretEnv,
	// which keep secrets out of the configuration file.
	Secret string `yaml:"secret"`
	// SecretFile is a file holding the token, read once at start; one
	// trailing newline is trimmed. A relative path is relative to the
	// working directory.
	SecretFile string `yaml:"secret_file"`
	// SecretEnv is the name of an environment variable holding the token,
	// read once at start.
	SecretEnv string `yaml:"secret_env"`
	// Scopes lists what the token may do: read, submit, policy:write,
	// override:write, hub:write. At least one.
	Scopes []Scope `yaml:"scopes"`
}

// LoopbackOnly reports whether no token is configured, so that the service
// serves loopback callers only, without authentication.
func (c *AuthConfig) LoopbackOnly() bool {
	return len(c.Tokens) == 0
}

// Validate reports every invalid field as a [*ConfigError] with paths
// relative to the auth block, or returns nil. It checks the shape of each
// token only: secrets are read, and empty or duplicate ones refused, by
// [NewAuthenticator].
func (c *AuthConfig) Validate() error {
	var v validator
	for i := range c.Tokens {
		c.Tokens[i].validate(&v, fmt.Sprintf("tokens[%d]", i))
	}
	return v.err()
}

// validate records the problems of one token at path.
func (t *TokenConfig) validate(v *validator, path string) {
	switch {
	case t.Principal == "":
		v.add(path+".principal", "required")
	case strings.IndexFunc(t.Principal, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		v.add(path+".principal", "%q contains whitespace or unprintable characters", t.Principal)
	case t.Principal == LoopbackPrincipal:
		v.add(path+".principal", "%q is reserved for unauthenticated loopback callers", LoopbackPrincipal)
	}
	sources := 0
	for _, s := range []string{t.Secret, t.SecretFile, t.SecretEnv} {
		if s != "" {
			sources++
		}
	}
	if sources != 1 {
		v.add(path, "exactly one of secret, secret_file and secret_env is required, got %d", sources)
	}
	if len(t.Scopes) == 0 {
		v.add(path+".scopes", "at least one scope is required (%s)", scopeList())
	}
	seen := make(map[Scope]bool, len(t.Scopes))
	for j, s := range t.Scopes {
		p := fmt.Sprintf("%s.scopes[%d]", path, j)
		if _, ok := scopeBit(s); !ok {
			v.add(p, "unknown scope %q (want one of %s)", s, scopeList())
			continue
		}
		if seen[s] {
			v.add(p, "duplicate scope %q", s)
		}
		seen[s] = true
	}
}

// scopeList names every known scope, comma-separated, for messages.
func scopeList() string {
	names := make([]string, 0, len(Scopes()))
	for _, s := range Scopes() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}
