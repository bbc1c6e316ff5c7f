package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/processor"
)

// hubSpecExampleHash is the hash risk-hub spec §2.11 prints for its example:
// world w, as_of 2025-01-01T00:00:00Z, version v1, weights {"s1": 1.0},
// actor gateway, stage paper, the default TTL (900 s).
const hubSpecExampleHash = "sha256:2db8b354ba3fc44c5c374acc82152030ca9cd6855a747480e2b997f57d02108a"

// writeSnapshotFile writes body to a file of the test's and returns its path.
func writeSnapshotFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// assertOneLine fails the test unless s is exactly one line.
func assertOneLine(t *testing.T, what, s string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Fatalf("%s is not one line: %q", what, s)
	}
}

func TestHubPublishRecordsAndReportsReSend(t *testing.T) {
	t.Parallel()
	base, _ := startTestService(t)
	file := writeSnapshotFile(t, "snap.json", `{"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": {"s1": 1.0}}`)
	args := []string{"hub", "publish", "--server", base, "--world", "w", "--file", file, "--actor", "gateway", "--stage", "paper"}

	code, stdout, stderr := runCLIWith(t, nil, args...)
	if code != exitOK || stderr != "" {
		t.Fatalf("publish: exit %d, stderr %q", code, stderr)
	}
	assertOneLine(t, "stdout", stdout)
	// The hash the command computed and the hub recorded is the spec's.
	if !strings.HasPrefix(stdout, "recorded world=w version=v1 hash="+hubSpecExampleHash+" as_of=2025-01-01T00:00:00Z created_at=") ||
		!strings.Contains(stdout, " ttl_sec=900") || strings.Contains(stdout, "already recorded") {
		t.Fatalf("publish printed %q", stdout)
	}

	code, stdout, stderr = runCLIWith(t, nil, args...)
	if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "re-send world=w version=v1 hash="+hubSpecExampleHash) ||
		!strings.Contains(stdout, "(already recorded with this hash: nothing stored)") {
		t.Fatalf("re-send: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLIWith(t, nil, append(args, "--json")...)
	var answer struct {
		Replay   bool `json:"replay"`
		Snapshot struct {
			Hash string `json:"hash"`
		} `json:"snapshot"`
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &answer) != nil || !answer.Replay || answer.Snapshot.Hash != hubSpecExampleHash {
		t.Fatalf("re-send --json: exit %d, %s", code, stdout)
	}

	// Above the inline threshold (100 entries) the hub offloads the
	// covariance itself: the file is sent inline, the answer has the ref.
	var cov []string
	for i := range 11 {
		for j := range 11 {
			v := 0.0
			if i == j {
				v = 0.04
			}
			cov = append(cov, fmt.Sprintf(`"s%d,s%d": %g`, i, j, v))
		}
	}
	big := writeSnapshotFile(t, "big.json", `{"as_of": "2025-01-01T00:00:00Z", "version": "v2", "weights": {"s0": 0.5, "s1": 0.5}, "covariance": {`+strings.Join(cov, ", ")+`}}`)
	code, stdout, stderr = runCLIWith(t, nil, "hub", "publish", "--server", base, "--world", "w", "--file", big, "--actor", "gateway", "--stage", "paper")
	if code != exitOK || !strings.HasPrefix(stdout, "recorded world=w version=v2 ") || !strings.Contains(stdout, " covariance_ref=file://") {
		t.Fatalf("big covariance: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestHubPublishRefusals(t *testing.T) {
	t.Parallel()
	base, _ := startTestService(t)
	publish := func(file string, extra ...string) (int, string, string) {
		args := []string{"hub", "publish", "--server", base, "--world", "w", "--file", file, "--actor", "gateway", "--stage", "paper"}
		return runCLIWith(t, nil, append(args, extra...)...)
	}
	if code, _, stderr := publish(writeSnapshotFile(t, "v1.json", `{"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": {"s1": 1.0}}`)); code != exitOK {
		t.Fatalf("first publication: exit %d, %s", code, stderr)
	}
	zeros := "sha256:" + strings.Repeat("0", 64)
	for _, tc := range []struct {
		name, body string
		file       string // instead of body
		args       []string
		code       int
		want       []string
	}{
		{name: "tampered hash", body: `{"as_of": "2025-01-01T00:00:00Z", "version": "v2", "weights": {"s1": 1.0}, "hash": "` + zeros + `"}`,
			code: exitFailure, want: []string{"worldval hub publish: refused: 422 E_SNAPSHOT_HASH_MISMATCH: hash mismatch", "sent " + zeros, "the hub computed sha256:"}},
		{name: "version conflict", body: `{"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": {"s1": 0.5, "s2": 0.5}}`,
			code: exitFailure, want: []string{"refused: 409 E_SNAPSHOT_VERSION_CONFLICT: snapshot version collision for world_id=w version=v1"}},
		{name: "ttl above the hub's maximum", body: `{"as_of": "2025-01-01T00:00:00Z", "version": "v3", "weights": {"s1": 1.0}, "ttl_sec": 90000}`,
			code: exitFailure, want: []string{"refused: 422 E_SNAPSHOT_INVALID: ttl_sec must be <= 86400"}},
		{name: "unreadable file", file: filepath.Join(t.TempDir(), "missing.json"), code: exitUsage, want: []string{"missing.json"}},
		{name: "invalid JSON", body: `{"as_of": "2025-01-01T00:00:00Z",`, code: exitUsage, want: []string{"not valid JSON"}},
		{name: "not an object", body: `[1, 2]`, code: exitUsage, want: []string{"not a JSON object"}},
		{name: "two objects", body: `{} {}`, code: exitUsage, want: []string{"data after the object"}},
		{name: "repeated key", body: `{"version": "a", "version": "b"}`, code: exitUsage, want: []string{`duplicate key "version"`}},
		{name: "hash not a string", body: `{"as_of": "2025-01-01T00:00:00Z", "version": "v2", "weights": {"s1": 1.0}, "hash": 7}`,
			code: exitUsage, want: []string{"hash must be a string when provided"}},
		{name: "contract", body: `{"as_of": "2025-01-01T00:00:00Z", "version": "v2", "weights": {"s1": 0.5, "s2": 0.4}}`,
			code: exitUsage, want: []string{"the snapshot breaks the contract, nothing sent: E_SNAPSHOT_INVALID: weights must sum to ~1.0"}},
		{name: "world mismatch", body: `{"world_id": "x", "as_of": "2025-01-01T00:00:00Z", "version": "v2", "weights": {"s1": 1.0}}`,
			code: exitUsage, want: []string{"world_id mismatch"}},
		{name: "bad ttl flag", body: `{}`, args: []string{"--ttl-sec", "0"}, code: exitUsage, want: []string{"--ttl-sec must be at least 1"}},
	} {
		file := tc.file
		if file == "" {
			file = writeSnapshotFile(t, "snap.json", tc.body)
		}
		code, stdout, stderr := publish(file, tc.args...)
		if code != tc.code || stdout != "" {
			t.Errorf("%s: exit %d (want %d), stdout %q, stderr %q", tc.name, code, tc.code, stdout, stderr)
			continue
		}
		assertOneLine(t, tc.name+": stderr", stderr)
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", tc.name, stderr, w)
			}
		}
	}

	// Missing flags name every one that is missing.
	code, _, stderr := runCLIWith(t, nil, "hub", "publish", "--server", base, "--world", "w")
	if code != exitUsage || !strings.Contains(stderr, "--file, --actor, --stage required") {
		t.Fatalf("missing flags: exit %d, %q", code, stderr)
	}
}

func TestHubPublishWithToken(t *testing.T) {
	t.Parallel()
	const secret = "hub-writer-0123456789abcdef"
	base, _ := startTestService(t, processor.TokenConfig{Principal: "risk-engine", Secret: secret, Scopes: []processor.Scope{processor.ScopeHubWrite}})
	file := writeSnapshotFile(t, "snap.json", `{"as_of": "2025-01-01T00:00:00Z", "version": "v1", "weights": {"s1": 1.0}}`)
	args := []string{"hub", "publish", "--server", base, "--world", "w", "--file", file, "--actor", "gateway", "--stage", "paper", "--token-env", "HUB_TOKEN"}
	code, _, stderr := runCLIWith(t, nil, args...)
	if code != exitFailure || !strings.Contains(stderr, "refused: 401 E_UNAUTHORIZED") {
		t.Fatalf("without the token: exit %d, %q", code, stderr)
	}
	assertOneLine(t, "stderr", stderr)
	if code, stdout, stderr := runCLIWith(t, map[string]string{"HUB_TOKEN": secret}, args...); code != exitOK || !strings.HasPrefix(stdout, "recorded ") {
		t.Fatalf("with the token: exit %d, %q, %q", code, stdout, stderr)
	}
}

func TestHubStatus(t *testing.T) {
	t.Parallel()
	base, _ := startTestService(t)
	status := func(args ...string) (int, string, string) {
		return runCLIWith(t, nil, append([]string{"hub", "status", "--server", base}, args...)...)
	}
	if code, stdout, stderr := status(); code != exitOK || stdout != "no world has recorded a risk snapshot\n" || stderr != "" {
		t.Fatalf("empty hub: exit %d, %q, %q", code, stdout, stderr)
	}

	now := time.Now().UTC().Format(time.RFC3339)
	for _, p := range []struct{ world, asOf string }{{"fresh", now}, {"old", "2025-01-01T00:00:00Z"}} {
		file := writeSnapshotFile(t, p.world+".json", `{"as_of": "`+p.asOf+`", "version": "v1", "weights": {"s1": 0.6, "s2": 0.4}}`)
		if code, _, stderr := runCLIWith(t, nil, "hub", "publish", "--server", base, "--world", p.world, "--file", file, "--actor", "risk-engine", "--stage", "live"); code != exitOK {
			t.Fatalf("publish %s: exit %d, %s", p.world, code, stderr)
		}
	}

	code, stdout, stderr := status("--world", "fresh")
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if code != exitOK || stderr != "" || len(lines) != 2 ||
		strings.Join(strings.Fields(lines[0]), " ") != "WORLD VERSION STAGE AS_OF AGE TTL EXPIRES_AT STATE" {
		t.Fatalf("fresh world: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if f := strings.Fields(lines[1]); len(f) != 8 || strings.Join(f[:4], " ") != "fresh v1 live "+now || f[5] != "900s" || f[7] != "fresh" {
		t.Fatalf("fresh world: %q", lines[1])
	}

	code, stdout, stderr = status("--warn-seconds", "60")
	lines = strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if code != exitFailure || len(lines) != 3 || !strings.HasSuffix(lines[1], " fresh") || !strings.HasSuffix(lines[2], " stale") ||
		!strings.HasPrefix(lines[2], "old ") {
		t.Fatalf("stale world: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	assertOneLine(t, "stderr", stderr)
	if !strings.Contains(stderr, "1 of 2 worlds need attention (warn above 1m0s): old stale") {
		t.Fatalf("stale world: stderr %q", stderr)
	}

	code, stdout, _ = status("--world", "old", "--json")
	var answer struct {
		WarnSeconds int64 `json:"warn_seconds"`
		Worlds      []struct {
			WorldID       string  `json:"world_id"`
			LagSeconds    float64 `json:"lag_seconds"`
			LatestVersion string  `json:"latest_version"`
			State         string  `json:"state"`
		} `json:"worlds"`
	}
	if code != exitFailure || json.Unmarshal([]byte(stdout), &answer) != nil || answer.WarnSeconds != defaultHubWarnSeconds ||
		len(answer.Worlds) != 1 || answer.Worlds[0].State != "stale" || answer.Worlds[0].LatestVersion != "v1" || answer.Worlds[0].LagSeconds < 3600 {
		t.Fatalf("--json: exit %d, %s", code, stdout)
	}

	if code, _, stderr := status("--world", "nowhere"); code != exitFailure || !strings.Contains(stderr, "world nowhere has recorded no risk snapshot") {
		t.Fatalf("unknown world: exit %d, %q", code, stderr)
	}
	if code, _, _ := status("--warn-seconds", "-1"); code != exitUsage {
		t.Fatalf("negative --warn-seconds: exit %d", code)
	}
}

func TestFormatAge(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {1499 * time.Millisecond, "1s"}, {59 * time.Second, "59s"}, {time.Minute, "1m00s"},
		{12*time.Minute + 5*time.Second, "12m05s"}, {3*time.Hour + 4*time.Minute + 59*time.Second, "3h04m"},
		{47*time.Hour + 59*time.Minute, "47h59m"}, {694*24*time.Hour + 4*time.Hour + 10*time.Minute, "694d04h"},
		{-5 * time.Second, "-5s"},
	} {
		if got := formatAge(tc.d); got != tc.want {
			t.Errorf("formatAge(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestHubCommandsHaveHelp(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"publish", "status"} {
		code, stdout, _ := runCLIWith(t, nil, "hub", name, "--help")
		if code != exitOK || !strings.HasPrefix(stdout, "Usage: worldval hub "+name) || !strings.Contains(stdout, "Exit status") {
			t.Errorf("hub %s --help: exit %d, %q", name, code, stdout)
		}
	}
}
