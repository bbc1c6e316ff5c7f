package processor

import "context"

// principalKey is the context key of the authenticated principal.
type principalKey struct{}

// WithPrincipal returns a copy of ctx that carries principal as the caller's
// identity. [Authenticator.Require] calls it for every request it lets
// through; tests and non-HTTP ingress may call it too.
func WithPrincipal(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

// PrincipalFrom returns the principal [Authenticator.Require] authenticated
// for this request: a token's configured principal, or [LoopbackPrincipal].
// Handlers use it as the actor of every event the request appends. ok is
// false when ctx carries no principal, which for an HTTP handler means it is
// not behind Require.
func PrincipalFrom(ctx context.Context) (principal string, ok bool) {
	principal, ok = ctx.Value(principalKey{}).(string)
	return principal, ok
}
