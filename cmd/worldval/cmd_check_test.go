package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/worldval/worldval/processor"
	"github.com/worldval/worldval/processor/servicetest"
)

// startService runs a real service on a fresh data directory (embedded
// profile, no tokens: loopback callers only) and returns its base URL.
func startService(t *testing.T, tokens ...processor.TokenConfig) string {
	t.Helper()
	return servicetest.Start(t, processor.Config{Auth: processor.AuthConfig{Tokens: tokens}})
}

// put sends a JSON PUT and fails the test unless it answers 200.
func put(t *testing.T, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT %s: %d %s", url, resp.StatusCode, b)
	}
}

func TestCheckInvariantsExitCodes(t *testing.T) {
	base := startService(t)

	// No world has a finding yet: exit 0, with or without --world.
	code, out, errOut := runCLI(t, "check", "invariants", "--server", base)
	if code != exitOK || !strings.Contains(out, "result: ok") {
		t.Fatalf("clean server: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "check", "invariants", "--server", base+"/", "--world", "calm"); code != exitOK || !strings.Contains(out, "1 world(s)") {
		t.Fatalf("clean world: exit %d\n%s", code, out)
	}

	// A high-tier critical world without a fail-closed block violates
	// Invariant 2: exit 1, in the table and in the JSON.
	put(t, base+"/worlds/risky/settings", `{"risk_profile": {"tier": "high", "client_critical": true}}`)
	code, out, _ = runCLI(t, "check", "invariants", "--server", base, "--world", "risky")
	if code != exitFailure || !strings.Contains(out, "not fail-closed (inv. 2)") || !strings.Contains(out, "on_error <unset>, on_missing_metric <unset>") || !strings.Contains(out, "result: NOT OK") {
		t.Fatalf("violation: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "check", "invariants", "--server", base, "--world", "risky", "--json")
	var rep struct {
		OK                   bool             `json:"ok"`
		FailClosedViolations []map[string]any `json:"fail_closed_violations"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFailure || rep.OK || len(rep.FailClosedViolations) != 1 {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	if code, out, _ := runCLI(t, "check", "invariants", "--server", base); code != exitFailure || !strings.Contains(out, "1 of 1 world(s)") {
		t.Fatalf("all worlds: exit %d\n%s", code, out)
	}
	// Fixed: exit 0 again.
	put(t, base+"/worlds/risky/settings", `{"risk_profile": {"tier": "high", "client_critical": true}, "validation": {"on_error": "fail", "on_missing_metric": "fail"}}`)
	if code, out, _ := runCLI(t, "check", "invariants", "--server", base); code != exitOK {
		t.Fatalf("after the fix: exit %d\n%s", code, out)
	}

	// Bad input: exit 2.
	for _, args := range [][]string{
		{"check", "invariants"},
		{"check", "invariants", "--server", "ftp://example.com"},
		{"check", "invariants", "--server", "not a url"},
		{"check", "invariants", "--server", base, "extra"},
		{"check", "invariants", "--server", base, "--nope"},
		{"check", "invariants", "--server", base, "--timeout", "0s"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, stderr)
		}
	}
	// A server that cannot be reached is a failure, not bad input.
	if code, _, stderr := runCLI(t, "check", "invariants", "--server", "http://127.0.0.1:1", "--timeout", "2s"); code != exitFailure || !strings.Contains(stderr, "127.0.0.1:1") {
		t.Fatalf("unreachable: exit %d %s", code, stderr)
	}
}

// TestCheckInvariantsTokens checks the bearer token: from --token or
// $WORLDVAL_TOKEN; one the server refuses is bad input (exit 2).
func TestCheckInvariantsTokens(t *testing.T) {
	const secret = "check-reader-0123456789abcdef"
	base := startService(t, processor.TokenConfig{Principal: "auditor", Secret: secret, Scopes: []processor.Scope{processor.ScopeRead}})
	if code, _, stderr := runCLI(t, "check", "invariants", "--server", base); code != exitUsage || !strings.Contains(stderr, "E_UNAUTHORIZED") {
		t.Fatalf("no token: exit %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "check", "invariants", "--server", base, "--token", "wrong-token-0123456789"); code != exitUsage {
		t.Fatalf("wrong token: exit %d %s", code, stderr)
	}
	if code, out, stderr := runCLI(t, "check", "invariants", "--server", base, "--world", "w1", "--strategy", "s1", "--token", secret); code != exitOK {
		t.Fatalf("--token: exit %d %s%s", code, out, stderr)
	}
	var out, errb bytes.Buffer
	env := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "WORLDVAL_TOKEN" {
			return secret
		}
		return ""
	}}
	if code := run(context.Background(), []string{"check", "invariants", "--server", base}, env); code != exitOK {
		t.Fatalf("$WORLDVAL_TOKEN: exit %d %s%s", code, out.String(), errb.String())
	}
}
