package processor

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/worldval/worldval/aggregates/errcode"
)

// LoopbackPrincipal is the principal of every request when no token is
// configured: the embedded profile then serves loopback callers only, and
// records them as "local".
const LoopbackPrincipal = "local"

// bearerRealm is the realm named in WWW-Authenticate challenges.
const bearerRealm = `Bearer realm="worldval"`

// Authenticator checks the bearer token of each request against the
// configured tokens and the scope a route requires. Build it with
// [NewAuthenticator]; it is immutable and safe for concurrent use.
type Authenticator struct {
	// creds are the configured tokens; empty means loopback-only mode.
	creds []credential
	// crossOrigin refuses cross-site browser writes in loopback-only mode,
	// where no token stands between a web page and the API.
	crossOrigin *http.CrossOriginProtection
	// compare is [subtle.ConstantTimeCompare]; tests count its calls.
	compare func(x, y []byte) int
}

// credential is one configured token, its secret kept only as a hash.
type credential struct {
	principal string
	hash      [sha256.Size]byte
	scopes    scopeSet
}

// NewAuthenticator validates cfg, reads every token's secret (secret_file
// from disk, secret_env through getenv; nil getenv means [os.Getenv]) and
// returns the authenticator. It refuses empty secrets, secrets shorter than
// 16 bytes or holding characters a bearer token cannot carry, and two tokens
// with the same secret, naming each problem's key path in a [*ConfigError].
// Only hashes of the secrets are kept.
func NewAuthenticator(cfg AuthConfig, getenv func(string) string) (*Authenticator, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var v validator
	v.merge("auth", cfg.Validate())
	if err := v.err(); err != nil {
		return nil, err
	}
	a := &Authenticator{crossOrigin: http.NewCrossOriginProtection(), compare: subtle.ConstantTimeCompare}
	owner := make(map[[sha256.Size]byte]int, len(cfg.Tokens))
	for i := range cfg.Tokens {
		t := &cfg.Tokens[i]
		path := fmt.Sprintf("auth.tokens[%d]", i)
		secret, key, problem := resolveSecret(t, getenv)
		if problem != "" {
			v.add(path+"."+key, "%s", problem)
			continue
		}
		c := credential{principal: t.Principal, hash: sha256.Sum256([]byte(secret))}
		for _, s := range t.Scopes {
			bit, _ := scopeBit(s) // known: cfg.Validate passed
			c.scopes |= bit
		}
		if first, dup := owner[c.hash]; dup {
			v.add(path+"."+key, "the same secret as auth.tokens[%d]; every token needs its own", first)
			continue
		}
		owner[c.hash] = i
		a.creds = append(a.creds, c)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return a, nil
}

// LoopbackOnly reports whether no token is configured, so that only
// loopback callers are served, all as [LoopbackPrincipal]. The service logs
// a warning at start when it is true.
func (a *Authenticator) LoopbackOnly() bool {
	return len(a.creds) == 0
}

// Require returns a handler that lets a request through to next only when
// it carries a valid bearer token holding scope, with the token's principal
// in its context (see [PrincipalFrom]). Otherwise it answers with the
// product's error body and a code from [errcode]: 401 E_UNAUTHORIZED and a
// WWW-Authenticate: Bearer challenge for a missing, malformed or unknown
// token, 403 E_FORBIDDEN for a token without the scope.
//
// With no tokens configured ([Authenticator.LoopbackOnly]), it lets through,
// as [LoopbackPrincipal] with every scope, requests from loopback addresses
// that name a loopback host, carry no proxy headers and are not cross-site
// browser writes; it answers every other request 403 E_FORBIDDEN. Any
// Authorization header is then ignored.
//
// Require panics if scope is not one of [Scopes]: that is a wiring mistake,
// found at start.
func (a *Authenticator) Require(scope Scope, next http.Handler) http.Handler {
	if _, ok := scopeBit(scope); !ok {
		panic(fmt.Sprintf("processor: Require with unknown scope %q", scope))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.LoopbackOnly() {
			if reason, message := a.refuseNonLocal(r); reason != "" {
				writeAuthError(w, errcode.New(errcode.Forbidden, "%s", message).WithDetail("reason", reason))
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), LoopbackPrincipal)))
			return
		}
		token, problem := bearerToken(r)
		if problem != "" {
			challenge(w, "")
			writeAuthError(w, errcode.New(errcode.Unauthorized, "%s", problem))
			return
		}
		c, ok := a.match(token)
		if !ok {
			challenge(w, `error="invalid_token"`)
			writeAuthError(w, errcode.New(errcode.Unauthorized, "the bearer token matches no configured token"))
			return
		}
		if !c.scopes.has(scope) {
			challenge(w, fmt.Sprintf(`error="insufficient_scope", scope=%q`, scope))
			writeAuthError(w, errcode.New(errcode.Forbidden, "principal %q lacks scope %q", c.principal, scope).
				WithDetail("principal", c.principal).WithDetail("required_scope", string(scope)))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), c.principal)))
	})
}

// match finds the credential whose secret is token. It hashes the token and
// compares the hash with every credential's in constant time, always all of
// them, so that neither the secrets' lengths nor which token matched shows
// in the time taken. Secrets are unique, so at most one matches.
func (a *Authenticator) match(token string) (credential, bool) {
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range a.creds {
		eq := a.compare(sum[:], a.creds[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return credential{}, false
	}
	return a.creds[found], true
}

// bearerToken extracts the token of the request's one Authorization: Bearer
// header, or says what is wrong with it.
func bearerToken(r *http.Request) (token, problem string) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", "a bearer token is required (Authorization: Bearer TOKEN)"
	case 1:
	default:
		return "", "more than one Authorization header"
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", "the Authorization header must use the Bearer scheme (Authorization: Bearer TOKEN)"
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", "the bearer token is empty"
	}
	return token, ""
}

// challenge sets the WWW-Authenticate header of a refusal, with RFC 6750
// error attributes when attrs is not empty.
func challenge(w http.ResponseWriter, attrs string) {
	value := bearerRealm
	if attrs != "" {
		value += ", " + attrs
	}
	w.Header().Set("WWW-Authenticate", value)
}
