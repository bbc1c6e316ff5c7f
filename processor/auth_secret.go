package processor

import (
	"fmt"
	"os"
	"strings"
)

// minSecretLen is the shortest secret accepted, in bytes: short enough for
// any generator, long enough that guessing over HTTP is hopeless. Generate
// secrets with, for example, `openssl rand -hex 32`.
const minSecretLen = 16

// maxSecretFileSize bounds a secret file; a token is a line, not a document.
const maxSecretFileSize = 4096

// resolveSecret returns the token's secret from its one source, and on
// failure the key path suffix to blame (relative to the token) and the
// problem. getenv reads secret_env.
func resolveSecret(t *TokenConfig, getenv func(string) string) (secret, key, problem string) {
	switch {
	case t.Secret != "":
		secret, key = t.Secret, "secret"
	case t.SecretFile != "":
		key = "secret_file"
		data, err := readSecretFile(t.SecretFile)
		if err != nil {
			return "", key, err.Error()
		}
		secret = strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	case t.SecretEnv != "":
		key = "secret_env"
		secret = getenv(t.SecretEnv)
		if secret == "" {
			return "", key, fmt.Sprintf("environment variable %s is unset or empty", t.SecretEnv)
		}
	default:
		return "", "", "no secret source"
	}
	switch {
	case secret == "":
		return "", key, "the secret is empty"
	case strings.IndexFunc(secret, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0:
		return "", key, "the secret contains whitespace, control or non-ASCII characters, which a bearer token cannot carry"
	case len(secret) < minSecretLen:
		return "", key, fmt.Sprintf("the secret is %d bytes; at least %d are required", len(secret), minSecretLen)
	}
	return secret, key, ""
}

// readSecretFile reads a secret file, refusing one larger than
// [maxSecretFileSize].
func readSecretFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	if !fi.Mode().IsRegular() {
		// Kubernetes mounts secrets as symlinks to regular files, which
		// Stat follows; a directory, device or pipe is a mistake.
		return nil, fmt.Errorf("read secret: %s is not a regular file", path)
	}
	if fi.Size() > maxSecretFileSize {
		return nil, fmt.Errorf("read secret: %s is %d bytes, more than %d", path, fi.Size(), maxSecretFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	return data, nil
}
