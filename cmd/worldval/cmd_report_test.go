package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/internal/badstrategies"
)

// TestReportCommand fetches the report of an evaluated run in both formats:
// to a file (the format from its extension) and to standard output; an
// unknown run and bad flags are exit status 2.
func TestReportCommand(t *testing.T) {
	url, _ := startTestService(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := os.ReadFile(badPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishPolicy(ctx, "w", policy); err != nil {
		t.Fatal(err)
	}
	leverage := badstrategies.Cases()[1]
	m, err := leverage.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.Submit(ctx, "w", client.SubmitRequest{StrategyID: leverage.StrategyID, RunID: "bt-1", Returns: leverage.Returns(), Metrics: raw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitForVerdict(ctx, sub.Ref()); err != nil {
		t.Fatal(err)
	}
	ids := []string{"--server", url, "--world", "w", "--strategy", leverage.StrategyID, "--run", "bt-1"}

	out := filepath.Join(t.TempDir(), "report.html")
	code, stdout, stderr := runCLIWith(t, nil, append([]string{"report", "--out", out}, ids...)...)
	if code != exitOK || !strings.HasPrefix(stdout, "report: wrote "+out+" (html, ") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(page), "<!DOCTYPE html>") || strings.Count(string(page), `<svg class="chart"`) != 3 ||
		!strings.Contains(string(page), "max_drawdown") || !strings.Contains(string(page), `id="verdict">FAIL</div>`) {
		t.Fatalf("html report:\n%.1500s", page)
	}

	code, stdout, _ = runCLIWith(t, nil, append([]string{"report", "--format", "md"}, ids...)...)
	if code != exitOK || !strings.HasPrefix(stdout, "# Validation Report — levered-carry @ w\n") || !strings.Contains(stdout, "## 8. Limitations & recommendations") {
		t.Fatalf("markdown: exit %d\n%s", code, stdout)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--server", url, "--world", "w", "--strategy", leverage.StrategyID, "--run", "nope"}, "404 E_RUN_NOT_FOUND"},
		{[]string{"report", "--server", url, "--world", "w"}, "--world, --strategy and --run are required"},
		{append([]string{"report", "--format", "pdf"}, ids...), `--format "pdf"`},
		{append([]string{"report", "--as-of", "yesterday"}, ids...), `--as-of "yesterday"`},
	} {
		code, stdout, stderr := runCLIWith(t, nil, c.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
}
