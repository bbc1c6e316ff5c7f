package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/internal/badstrategies"
	"github.com/worldval/worldval/validation/policydiff"
)

// Files of the policy diff tests.
const (
	badDir    = "../../testdata/bad-strategies"
	badPolicy = badDir + "/policy.yml"
)

// lenientPolicy lets every run of the regression set through.
const lenientPolicy = `policy_version: lenient-1
validation_profiles:
  backtest: {performance: {sharpe_min: 0.0}}
  paper: {performance: {sharpe_min: 0.0}}
default_profile_by_stage: {backtest_only: backtest, paper_only: paper}
validation: {on_missing_metric: ignore}
`

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func decodeDiff(t *testing.T, out string) policydiff.Report {
	t.Helper()
	var rep policydiff.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON (%v): %s", err, out)
	}
	return rep
}

// TestPolicyDiffRunsDirCatchesTheRegressionSet diffs a lenient policy
// against the regression policy over the "bad strategies" set: every run
// changes from pass to fail, so the gate fails (exit 1) even at a threshold
// of 1 (the comparison is ≥), and the same policy on both sides passes.
func TestPolicyDiffRunsDirCatchesTheRegressionSet(t *testing.T) {
	lenient := writeTemp(t, "lenient.yml", lenientPolicy)
	code, out, errOut := runCLIWith(t, nil, "policy", "diff", "--old", lenient, "--new", badPolicy, "--stage", "backtest",
		"--runs-dir", badDir, "--fail-impact-ratio", "1")
	if code != exitFailure || !strings.Contains(errOut, "gate failed: impact ratio 1.0000 ≥ fail impact ratio 1.0000") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "policy diff: read run files 6/6") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}
	rep := decodeDiff(t, out)
	if rep.TotalStrategies != 6 || rep.StrategiesAffected != 6 || rep.StatusTransitions["pass→fail"] != 6 || !rep.GateFailed ||
		*rep.OldPolicyVersion != "lenient-1" || *rep.NewPolicyVersion != badPolicy {
		t.Fatalf("report: %+v", rep)
	}
	byStrategy := map[string]policydiff.StrategyDiff{}
	for _, d := range rep.Diffs {
		byStrategy[d.StrategyID] = d
	}
	for _, c := range badstrategies.Cases() {
		d, ok := byStrategy[c.StrategyID]
		if !ok || d.NewSelected || *d.NewStatus != "fail" {
			t.Errorf("%s: %+v", c.Name, d)
		}
	}

	code, out, errOut = runCLIWith(t, nil, "policy", "diff", "--old", badPolicy, "--new", badPolicy, "--stage", "backtest",
		"--runs-dir", badDir, "--quiet", "--format", "md")
	if code != exitOK || errOut != "" || !strings.Contains(out, "**Gate: passed** — impact ratio 0.0000 < fail_impact_ratio 0.0500") ||
		!strings.Contains(out, "No strategy changes outcome.") {
		t.Fatalf("same policy: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestPolicyDiffBadInput checks that input that cannot be diffed is exit
// status 2 with a message naming the file and the offending path, and that
// nothing is written to standard output.
func TestPolicyDiffBadInput(t *testing.T) {
	lenient := writeTemp(t, "lenient.yml", lenientPolicy)
	badYAML := writeTemp(t, "bad.yml", "validation_profiles:\n  backtest:\n    performance: {sharpe_min: fast}\n")
	runs := t.TempDir()
	if err := os.WriteFile(filepath.Join(runs, "a.json"), []byte(`{"strategy_id": "a", "returns": [0.01, "x"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	base := []string{"policy", "diff", "--old", lenient, "--new", badPolicy, "--stage", "backtest"}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"policy does not parse", []string{"policy", "diff", "--old", lenient, "--new", badYAML, "--stage", "backtest", "--runs-dir", badDir},
			badYAML + ": "},
		{"run file does not parse", append(base, "--runs-dir", runs), filepath.Join(runs, "a.json") + ": returns[1]: must be a number or null, got string"},
		{"no run files", append(base, "--runs-dir", empty), "no run files"},
		{"missing directory", append(base, "--runs-dir", filepath.Join(empty, "nope")), "--runs-dir"},
		{"both sources", append(base, "--runs-dir", badDir, "--world", "w"), "either --world"},
		{"no source", base, "either --world"},
		{"ratio above 1", append(base, "--runs-dir", badDir, "--fail-impact-ratio", "5"), "--fail-impact-ratio 5: must be a ratio from 0 to 1"},
		{"format", append(base, "--runs-dir", badDir, "--format", "xml"), `--format "xml"`},
		{"stage", []string{"policy", "diff", "--old", lenient, "--new", badPolicy, "--stage", "prod", "--runs-dir", badDir}, `--stage "prod"`},
		{"no stage", []string{"policy", "diff", "--old", lenient, "--new", badPolicy, "--runs-dir", badDir}, "--stage is required"},
		{"window flags with a directory", append(base, "--runs-dir", badDir, "--all-runs"), "a runs directory is read whole"},
		{"bad --since", append(base, "--world", "w", "--since", "yesterday"), `--since "yesterday"`},
		{"unreachable server", append(base, "--world", "w", "--server", "http://127.0.0.1:1"), "GET /worlds/w/runs/metrics: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLIWith(t, nil, c.args...)
			if code != exitUsage || out != "" || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", code, out, errOut, c.want)
			}
		})
	}
	if strings.Contains(errOut(t, append(base, "--runs-dir", runs)), "\n\n") {
		t.Error("the error is not one line")
	}
}

func errOut(t *testing.T, args []string) string {
	t.Helper()
	_, _, e := runCLIWith(t, nil, args...)
	return e
}

// TestPolicyDiffFromServer stores the regression set in a running service,
// evaluated under the lenient policy, and diffs it from the service's
// history: the latest run per strategy, at the stage asked; a window that
// ends before the runs were stored sees none of them.
func TestPolicyDiffFromServer(t *testing.T) {
	url, _ := startTestService(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishPolicy(ctx, "w", []byte(lenientPolicy)); err != nil {
		t.Fatal(err)
	}
	submit := func(cs badstrategies.Case, runID string) {
		t.Helper()
		m, err := cs.Metrics()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := c.Submit(ctx, "w", client.SubmitRequest{StrategyID: cs.StrategyID, RunID: runID, Stage: cs.Stage, Returns: cs.Returns(), Metrics: raw})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.WaitForVerdict(ctx, sub.Ref()); err != nil {
			t.Fatal(err)
		}
	}
	cases := badstrategies.Cases()
	for _, cs := range cases {
		submit(cs, cs.RunID)
	}
	submit(cases[0], "bt-2") // a second run of the first strategy: the latest counts
	lenient := writeTemp(t, "lenient.yml", lenientPolicy)
	args := []string{"policy", "diff", "--old", lenient, "--new", badPolicy, "--stage", "backtest", "--server", url, "--world", "w"}

	code, out, errOut := runCLIWith(t, nil, args...)
	if code != exitFailure {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	rep := decodeDiff(t, out)
	// Five backtest strategies (the paper run is another stage), the first
	// one through its latest run.
	if rep.TotalStrategies != 5 || rep.StrategiesAffected != 5 || rep.Diffs[0].RunID != "bt-2" {
		t.Fatalf("report: %+v", rep)
	}
	// A service without the run-metrics listing is read through the full
	// run listing, with the same result.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/runs/metrics") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error": {"code": "E_NOT_FOUND", "message": "no such resource"}}`))
			return
		}
		target, _ := neturl.Parse(url)
		// Rewrite, unlike Director, adds no X-Forwarded-For, which the
		// loopback-only service would refuse.
		(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	code, out, e := runCLIWith(t, nil, "policy", "diff", "--old", lenient, "--new", badPolicy, "--stage", "backtest", "--server", proxy.URL, "--world", "w", "--quiet")
	if old := rep; code != exitFailure || fmtDiff(decodeDiff(t, out)) != fmtDiff(old) {
		t.Fatalf("through the run listing: exit %d\n%s\n%s", code, out, e)
	}
	code, out, _ = runCLIWith(t, nil, append(args, "--all-runs")...)
	if rep := decodeDiff(t, out); code != exitFailure || rep.TotalStrategies != 6 || rep.Diffs[0].Key != cases[0].StrategyID+"@bt-1" {
		t.Fatalf("--all-runs: exit %d, %+v", code, rep)
	}
	code, out, _ = runCLIWith(t, nil, append(args, "--until", "2020-01-01T00:00:00Z")...)
	if rep := decodeDiff(t, out); code != exitOK || rep.TotalStrategies != 0 || rep.GateFailed {
		t.Fatalf("window before the runs: exit %d, %+v", code, rep)
	}
	code, out, _ = runCLIWith(t, nil, "policy", "diff", "--old", lenient, "--new", badPolicy, "--stage", "paper", "--server", url, "--world", "w", "--quiet")
	if rep := decodeDiff(t, out); code != exitFailure || rep.TotalStrategies != 1 || rep.Diffs[0].RuleChanges == nil {
		t.Fatalf("paper: exit %d, %+v", code, rep)
	}
}

// fmtDiff renders what two diffs of the same runs must share (not the
// timestamp).
func fmtDiff(r policydiff.Report) string {
	r.Timestamp = ""
	b, _ := json.Marshal(r)
	return string(b)
}
