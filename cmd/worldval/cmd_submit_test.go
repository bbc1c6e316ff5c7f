package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/worldval/worldval/processor"
)

// servicePolicy passes a run with a per-period Sharpe ratio of at least 0.05.
const servicePolicy = "validation_profiles:\n  backtest:\n    performance: {sharpe_min: 0.05, max_dd_max: 0.25}\ndefault_profile_by_stage: {backtest_only: backtest}\n"

// TestSubmitPrintsTheVerdict publishes a policy and submits runs with the
// CLI: a passing one and a failing one both exit 0 with their verdict
// printed.
func TestSubmitPrintsTheVerdict(t *testing.T) {
	t.Parallel()
	url, _ := startTestService(t)
	policy := writeFile(t, "policy.yml", servicePolicy)
	code, out, stderr := runCLIWith(t, nil, "policy", "publish", "--server", url, "--world", "w1", "--file", policy)
	if code != exitOK || !strings.Contains(out, "world w1: policy version 1 published; default version 1") || !strings.Contains(out, "profile backtest") {
		t.Fatalf("publish: exit %d\n%s\n%s", code, out, stderr)
	}

	good := writeFile(t, "good.json", "[0.012, -0.004, 0.007, 0.009, -0.011, 0.006, 0.003, -0.002, 0.008, 0.004]")
	code, out, stderr = runCLIWith(t, nil, "submit", "--server", url, "--world", "w1", "--strategy", "s1", "--stage", "backtest",
		"--returns", good, "--run-id", "r1", "--wait", "30s")
	if code != exitOK || !strings.HasPrefix(out, "w1/s1/r1: PASS, recommended stage backtest_only (policy version 1, profile backtest)") ||
		!strings.Contains(out, "performance      pass  blocking  performance_ok") || !strings.Contains(stderr, "submitted w1/s1/r1: accepted") {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, stderr)
	}

	bad := writeFile(t, "bad.csv", "returns\n-0.01\n0.002\n-0.02\n0.001\n-0.015\n")
	metrics := writeFile(t, "metrics.json", `{"diagnostics": {"search_intensity": 50}}`)
	code, out, stderr = runCLIWith(t, nil, "submit", "--server", url, "--world", "w1", "--strategy", "s2",
		"--returns", bad, "--metrics", metrics, "--idempotency-key", "k1", "--json")
	var v struct {
		RunID   string `json:"run_id"`
		Summary struct {
			Status string `json:"status"`
		} `json:"summary"`
		Metrics struct {
			Diagnostics struct {
				SearchIntensity float64 `json:"search_intensity"`
			} `json:"diagnostics"`
		} `json:"metrics"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &v) != nil || v.Summary.Status != "fail" || !strings.HasPrefix(v.RunID, "eval-s2-k") || v.Metrics.Diagnostics.SearchIntensity != 50 {
		t.Fatalf("failing run: exit %d, %+v\n%s\n%s", code, v, out, stderr)
	}
	code, _, stderr = runCLIWith(t, nil, "submit", "--server", url, "--world", "w1", "--strategy", "s2",
		"--returns", bad, "--metrics", metrics, "--idempotency-key", "k1", "--wait", "0")
	if code != exitOK || !strings.Contains(stderr, "already recorded (a retry)") {
		t.Fatalf("retry: exit %d\n%s", code, stderr)
	}
}

// TestSubmitRunFile submits an example run file as it is.
func TestSubmitRunFile(t *testing.T) {
	t.Parallel()
	url, _ := startTestService(t)
	code, out, stderr := runCLIWith(t, nil, "submit", "--server", url, "--run", "../../examples/runs/short.json")
	if code != exitOK || !strings.HasPrefix(out, "demo/news-short/bt-1: FAIL") || !strings.Contains(out, "E_POLICY_INVALID") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
}

// TestSubmitExitStatuses checks exit 2 for bad input, found locally or by
// the service, and 1 when the service fails, refuses the credentials or the
// verdict does not come in time.
func TestSubmitExitStatuses(t *testing.T) {
	t.Parallel()
	url, _ := startTestService(t, processor.TokenConfig{Principal: "runner", Secret: "runner-secret-0123456789", Scopes: []processor.Scope{processor.ScopeRead, processor.ScopeSubmit}})
	returns := writeFile(t, "r.json", "[0.01, 0.02, -0.01]")
	tok := map[string]string{"WORLDVAL_TOKEN": "runner-secret-0123456789", "OTHER": "runner-secret-0123456789"}
	cases := []struct {
		name string
		vars map[string]string
		args []string
		code int
		want string
	}{
		{"no world", tok, []string{"--strategy", "s", "--returns", returns}, exitUsage, "--world is required"},
		{"nothing to evaluate", tok, []string{"--world", "w", "--strategy", "s"}, exitUsage, "--returns, --metrics or --run is required"},
		{"missing file", tok, []string{"--world", "w", "--strategy", "s", "--returns", "/nonexistent"}, exitUsage, "no such file"},
		{"bad stage", tok, []string{"--world", "w", "--strategy", "s", "--returns", returns, "--stage", "no stage"}, exitUsage, "--stage"},
		{"metrics not an object", tok, []string{"--world", "w", "--strategy", "s", "--metrics", returns}, exitUsage, "not a JSON object"},
		{"refused by the service", tok, []string{"--world", "w", "--strategy", " s", "--returns", returns}, exitUsage, "strategy_id: must not start or end with white space"},
		{"no token", nil, []string{"--world", "w", "--strategy", "s", "--returns", returns}, exitFailure, "E_UNAUTHORIZED"},
		{"token from another variable", tok, []string{"--world", "w", "--strategy", "s", "--returns", returns, "--token-env", "OTHER", "--wait", "0"}, exitOK, ""},
		{"timeout", tok, []string{"--world", "w", "--strategy", "s", "--returns", returns, "--wait", "1ns"}, exitFailure, "no verdict within --wait 1ns"},
		{"unreachable", tok, []string{"--server", "http://127.0.0.1:1", "--world", "w", "--strategy", "s", "--returns", returns}, exitFailure, "connection refused"},
	}
	for _, tc := range cases {
		args := append([]string{"submit", "--server", url}, tc.args...)
		code, out, stderr := runCLIWith(t, tc.vars, args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, want %d with %q\n%s\n%s", tc.name, code, tc.code, tc.want, out, stderr)
		}
	}
}

// TestPolicyPublishAndDefault publishes two versions, refuses an invalid
// document with every problem named, and switches the default.
func TestPolicyPublishAndDefault(t *testing.T) {
	t.Parallel()
	url, _ := startTestService(t)
	first := writeFile(t, "p1.yml", servicePolicy)
	second := writeFile(t, "p2.json", `{"validation_profiles": {"backtest": {"performance": {"sharpe_min": 0.2}}}}`)
	invalid := writeFile(t, "bad.yml", "validation_profiles:\n  backtest:\n    performance: {sharpe_minimum: 1, max_dd_max: x}\n")
	for i, f := range []string{first, second} {
		if code, out, stderr := runCLIWith(t, nil, "policy", "publish", "--server", url, "--world", "w1", "--file", f, "--idempotency-key", f); code != exitOK {
			t.Fatalf("publish %d: exit %d\n%s\n%s", i+1, code, out, stderr)
		}
	}
	code, out, stderr := runCLIWith(t, nil, "policy", "publish", "--server", url, "--world", "w1", "--file", invalid)
	if code != exitUsage || !strings.Contains(stderr, "E_POLICY_INVALID") ||
		!strings.Contains(stderr, "validation_profiles.backtest.performance.sharpe_minimum") || !strings.Contains(stderr, "validation_profiles.backtest.performance.max_dd_max") {
		t.Fatalf("invalid policy: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = runCLIWith(t, nil, "policy", "default", "--server", url, "--world", "w1", "--version", "2")
	if code != exitOK || !strings.Contains(out, "world w1: default policy version 2 (was 1)") {
		t.Fatalf("default: exit %d\n%s\n%s", code, out, stderr)
	}
	code, _, stderr = runCLIWith(t, nil, "policy", "default", "--server", url, "--world", "w1", "--version", "7")
	if code != exitUsage || !strings.Contains(stderr, "E_POLICY_VERSION_NOT_FOUND") {
		t.Fatalf("default to a missing version: exit %d\n%s", code, stderr)
	}
	if code, _, _ := runCLIWith(t, nil, "policy", "default", "--server", url, "--world", "w1"); code != exitUsage {
		t.Fatalf("default without --version: exit %d", code)
	}
}
