package client_test

import (
	"testing"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/processor"
	"github.com/worldval/worldval/processor/servicetest"
)

// Tokens of the test service's principals.
const (
	runnerToken = "runner-secret-0123456789"
	riskToken   = "risk-secret-0123456789"
	readerToken = "reader-secret-0123456789"
)

// startServer runs the real service in-process on a temporary data directory
// and an ephemeral loopback port, with three principals (runner: read and
// submit; risk: read and policy:write; reader: read), and stops it when the
// test ends. It returns the service's base URL once it is ready.
func startServer(t *testing.T) string {
	t.Helper()
	cfg := processor.Config{
		DataDir: t.TempDir(),
		HTTP:    processor.HTTPConfig{Addr: "127.0.0.1:0"},
		Auth: processor.AuthConfig{Tokens: []processor.TokenConfig{
			{Principal: "runner", Secret: runnerToken, Scopes: []processor.Scope{processor.ScopeRead, processor.ScopeSubmit}},
			{Principal: "risk", Secret: riskToken, Scopes: []processor.Scope{processor.ScopeRead, processor.ScopePolicyWrite}},
			{Principal: "reader", Secret: readerToken, Scopes: []processor.Scope{processor.ScopeRead}},
		}},
	}
	return servicetest.Start(t, cfg)
}

// newClient returns a client of base with token (none when empty).
func newClient(t *testing.T, base, token string, opts ...client.Option) *client.Client {
	t.Helper()
	if token != "" {
		opts = append(opts, client.WithToken(token))
	}
	c, err := client.New(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
