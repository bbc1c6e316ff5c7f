package main

import (
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/examples"
)

// TestDemoVerdictsFollowThePolicy runs the examples through a real service
// as the demo does and checks each verdict against what the example policy
// implies: the robust strategy passes at both stages; the overfitted, short
// and tail-risk ones fail with their expected reason codes and broken
// thresholds.
func TestDemoVerdictsFollowThePolicy(t *testing.T) {
	t.Parallel()
	url, _ := startTestService(t)
	c, err := client.New(url)
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	results, err := runExamples(t.Context(), &progress, c)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	want := examples.Strategies()
	if len(results) != len(want) {
		t.Fatalf("%d results for %d examples", len(results), len(want))
	}
	for i, r := range results {
		s, v := want[i], r.verdict
		if v.StrategyID != s.StrategyID || v.RunID != s.RunID || v.Stage != s.Stage {
			t.Fatalf("result %d is %s, want %s/%s", i, v.Ref(), s.StrategyID, s.RunID)
		}
		var reasons, violated []string
		for _, nr := range v.Validation.Results.NotPassing() {
			reasons = append(reasons, nr.Result.ReasonCode)
		}
		if perf, ok := v.Validation.Results.Get("performance"); ok {
			for _, vi := range perf.Violations() {
				violated = append(violated, vi.Metric)
			}
		}
		if v.Summary.Status != s.Expect.Verdict || v.Summary.RecommendedStage != s.Expect.RecommendedStage {
			t.Errorf("%s: %s %s, want %s %s (reasons %v)", s.Name, v.Summary.Status, v.Summary.RecommendedStage, s.Expect.Verdict, s.Expect.RecommendedStage, reasons)
		}
		if s.Expect.Verdict == client.VerdictPass && len(reasons) > 0 {
			t.Errorf("%s passes with deciding reasons %v", s.Name, reasons)
		}
		for _, code := range s.Expect.Reasons {
			if !slices.Contains(reasons, code) {
				t.Errorf("%s: reasons %v lack %s", s.Name, reasons, code)
			}
		}
		for _, m := range s.Expect.Violations {
			if !slices.Contains(violated, m) {
				t.Errorf("%s: broken thresholds %v lack %s", s.Name, violated, m)
			}
		}
		if pv := v.Validation.PolicyVersion; pv == nil || *pv != "1" {
			t.Errorf("%s: policy version %v", s.Name, pv)
		}
	}
	if paper, ok := results[len(results)-1].verdict.Validation.Results.Get("paper_shadow_consistency"); !ok || paper.ReasonCode != "paper_shadow_ok" {
		t.Errorf("the paper run was not compared with its backtest: %+v", paper)
	}
	for _, r := range results {
		run, err := c.Run(t.Context(), r.verdict.Ref())
		if err != nil {
			t.Fatal(err)
		}
		want := exampleCard(t, r.strategy.StrategyID).Version
		if run.ModelCardVersion == nil || *run.ModelCardVersion != want {
			t.Errorf("%s records model card version %v, want %s", r.verdict.Ref(), run.ModelCardVersion, want)
		}
	}
}

// exampleCardFields is what the demo's tests read of an example model card.
type exampleCardFields struct {
	Version   string `json:"model_card_version"`
	Objective string `json:"objective"`
}

// exampleCard returns the example model card of strategy.
func exampleCard(t *testing.T, strategy string) exampleCardFields {
	t.Helper()
	data, err := examples.ModelCard(strategy)
	if err != nil {
		t.Fatal(err)
	}
	var c exampleCardFields
	if err := json.Unmarshal(data, &c); err != nil || c.Version == "" || c.Objective == "" {
		t.Fatalf("model card of %s: %+v, %v", strategy, c, err)
	}
	return c
}

// demoTable returns the verdict table of the demo's output: from its
// header to the first blank line.
func demoTable(out string) string {
	i := strings.Index(out, "STRATEGY ")
	if i < 0 {
		return ""
	}
	table, _, _ := strings.Cut(out[i:], "\n\n")
	return table
}

// TestDemoCommand runs `worldval demo --reports DIR` twice on one data
// directory and checks its table, that the second run prints the same
// (everything the demo writes is idempotent), the reports it writes, that
// the store it leaves verifies, and that without --data-dir the demo removes
// its temporary directory.
func TestDemoCommand(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	reports := filepath.Join(t.TempDir(), "reports")
	var tables []string
	for i := range 2 {
		code, out, stderr := runCLIWith(t, nil, "demo", "--data-dir", dir, "--reports", reports)
		if code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
		if !strings.Contains(stderr, "waiting for 4 verdicts") || !strings.Contains(stderr, "4/4") {
			t.Errorf("no progress lines:\n%s", stderr)
		}
		for _, id := range examples.StrategyIDs() {
			line := "published the model card of " + id
			if again := strings.Contains(stderr, " (already on record)"); !strings.Contains(stderr, line) || again != (i == 1) {
				t.Errorf("run %d: no line %q, or a wrong note of a card already on record:\n%s", i+1, line, stderr)
			}
		}
		tables = append(tables, out)
	}
	out := tables[0]
	if tables[1] != out {
		t.Errorf("the second run printed another table:\n%s\n%s", out, tables[1])
	}
	for _, s := range examples.Strategies() {
		row := ""
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 3 && f[0] == s.StrategyID && f[1] == s.RunID {
				row = line
			}
		}
		if row == "" || !strings.Contains(row, strings.ToUpper(s.Expect.Verdict)) || !strings.Contains(row, s.Expect.RecommendedStage) {
			t.Errorf("%s: row %q\n%s", s.Name, row, out)
		}
		for _, code := range s.Expect.Reasons {
			if !strings.Contains(row, code) {
				t.Errorf("%s: row %q lacks %s", s.Name, row, code)
			}
		}
	}
	checkDemoReports(t, reports, out)
	if _, err := os.Stat(filepath.Join(dir, "events.db")); err != nil {
		t.Errorf("--data-dir: %v", err)
	}
	if code, out, stderr := runCLI(t, "audit", "verify", "--data-dir", dir); code != exitOK {
		t.Errorf("audit verify after the demo: exit %d\n%s\n%s", code, out, stderr)
	}

	code, out, stderr := runCLIWith(t, nil, "demo")
	m := regexp.MustCompile(`event store in (\S+)`).FindStringSubmatch(stderr)
	if code != exitOK || m == nil || demoTable(out) == "" || demoTable(out) != demoTable(tables[0]) || strings.Contains(out, ".html") {
		t.Fatalf("demo on a temporary directory: exit %d\n%s\n%s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Dir(m[1])); !os.IsNotExist(err) {
		t.Errorf("the temporary data directory %s is still there (%v)", filepath.Dir(m[1]), err)
	}
}

// checkDemoReports checks the reports `worldval demo --reports DIR` wrote
// into dir and listed in out: one HTML page per run, each showing its
// verdict and its strategy's model card (version and objective).
func checkDemoReports(t *testing.T, dir, out string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != len(examples.Strategies()) {
		t.Fatalf("%s holds %d files, want one per run (%v)", dir, len(entries), err)
	}
	for _, s := range examples.Strategies() {
		name := filepath.Join(dir, s.StrategyID+"-"+s.RunID+".html")
		page, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		card := exampleCard(t, s.StrategyID)
		verdict := strings.ToUpper(s.Expect.Verdict)
		for _, want := range []string{"<!DOCTYPE html>", `id="verdict">` + verdict + `</div>`, html.EscapeString(card.Objective), "model card " + card.Version} {
			if !strings.Contains(string(page), want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if strings.Contains(string(page), "No model card is known") {
			t.Errorf("%s says it has no model card", name)
		}
		abs, _ := filepath.Abs(name)
		if !regexp.MustCompile(`(?m)^  ` + verdict + ` +` + regexp.QuoteMeta(abs) + `$`).MatchString(out) {
			t.Errorf("the output does not list %s with its verdict:\n%s", abs, out)
		}
	}
}

// TestDemoWritesExamples checks --write-examples against the committed
// files.
func TestDemoWritesExamples(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runCLI(t, "demo", "--write-examples", dir)
	if code != exitOK || strings.Count(out, "\n") != 1+len(examples.Strategies())+len(examples.StrategyIDs()) {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, name := range strings.Fields(out) {
		rel, _ := filepath.Rel(dir, name)
		got, _ := os.ReadFile(name)
		committed, err := os.ReadFile(filepath.Join("../../examples", rel))
		if err != nil || !bytes.Equal(got, committed) {
			t.Errorf("%s differs from examples/%s (%v)", name, rel, err)
		}
	}
}
