package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"

	"github.com/worldval/worldval/client"
)

// Defaults of the commands that talk to a running service.
const (
	// defaultServer is the embedded profile's address.
	defaultServer = "http://127.0.0.1:8080"
	// defaultTokenEnv names the environment variable the token is read
	// from unless --token-env names another.
	defaultTokenEnv = "WORLDVAL_TOKEN"
)

// clientFlags are the flags of every command that talks to a running
// service: where it is and where the bearer token comes from.
type clientFlags struct {
	server   string
	tokenEnv string
}

// declareClientFlags declares --server and --token-env on fs.
func declareClientFlags(fs *flag.FlagSet) *clientFlags {
	f := &clientFlags{}
	fs.StringVar(&f.server, "server", defaultServer, "base `URL` of the worldval service")
	fs.StringVar(&f.tokenEnv, "token-env", defaultTokenEnv, "environment `variable` holding the bearer token (none needed on the service's own machine until auth.tokens is configured)")
	return f
}

// client returns a client of the service the flags name, with the token
// read through env.getenv.
func (f *clientFlags) client(env *environment) (*client.Client, error) {
	var opts []client.Option
	if f.tokenEnv != "" {
		if tok := strings.TrimSpace(env.getenv(f.tokenEnv)); tok != "" {
			opts = append(opts, client.WithToken(tok))
		}
	}
	c, err := client.New(f.server, opts...)
	if err != nil {
		return nil, usagef("--server: %v", err)
	}
	return c, nil
}

// apiFailure classifies an error of a call to the service: a refusal of the
// caller's input (a malformed or invalid request, a reused run id or key) is
// a usage error, exit status 2, listing each problem the service named (a
// policy version that does not exist counts as input too);
// everything else (credentials, the service failing or unreachable, a
// timeout) stays an error, exit status 1.
func apiFailure(err error) error {
	var ae *client.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.Status == http.StatusBadRequest, ae.Status == http.StatusRequestEntityTooLarge,
		ae.Status == http.StatusUnsupportedMediaType, ae.Status == http.StatusUnprocessableEntity,
		ae.Code == client.CodeRunAlreadyEvaluated, ae.Code == client.CodeRunAlreadySubmitted,
		ae.Code == client.CodeIdempotencyKeyReused, ae.Code == client.CodePolicyVersionNotFound:
	default:
		return err
	}
	msg := err.Error()
	for _, p := range ae.Problems() {
		msg += fmt.Sprintf("; %s: %s", orWhole(p.Path), p.Message)
	}
	return usageError{errors.New(msg)}
}

// orWhole names an empty problem path.
func orWhole(path string) string {
	if path == "" {
		return "(the whole document)"
	}
	return path
}
