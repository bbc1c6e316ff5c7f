package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const examplePolicy = "../../validation/policy/testdata/annotated_example.yml"

const cliPolicy = `
policy_version: 5
validation_profiles:
  backtest:
    performance: {sharpe_min: 0.5, max_dd_max: 0.2}
  paper:
    performance: {sharpe_min: 2.0, severity: soft, owner: risk}
default_profile_by_stage: {backtest: backtest, paper: paper}
`

func TestEvaluatePrintsTheEvaluatedRun(t *testing.T) {
	pol := writeFile(t, "p.yml", cliPolicy)
	run := writeFile(t, "run.json", `{"world_id":"w1","strategy_id":"s1","run_id":"r1",
		"returns":[0.01,0.02,-0.005,0.015,0.012,0.008,-0.003,0.02,0.01,0.005]}`)
	for stage, want := range map[string]struct{ status, profile, perf, severity, owner string }{
		"backtest": {"pass", "backtest", "pass", "blocking", "quant"},
		"paper":    {"warn", "paper", "fail", "soft", "risk"},
	} {
		code, out, stderr := runCLI(t, "evaluate", "--policy", pol, "--stage", stage, "--run", run)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", stage, code, stderr)
		}
		var doc struct {
			Metrics    map[string]any `json:"metrics"`
			Validation struct {
				PolicyVersion string                    `json:"policy_version"`
				RulesetHash   string                    `json:"ruleset_hash"`
				Profile       string                    `json:"profile"`
				RawResults    map[string]map[string]any `json:"results"`
			} `json:"validation"`
			Summary struct {
				Status           string `json:"status"`
				RecommendedStage string `json:"recommended_stage"`
				Active           *bool  `json:"active"`
			} `json:"summary"`
			Health map[string]float64 `json:"validation_health"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%s: %v\n%s", stage, err, out)
		}
		v := doc.Validation
		if doc.Summary.Status != want.status || v.Profile != want.profile || v.PolicyVersion != "5" || !strings.HasPrefix(v.RulesetHash, "blake3:") || len(v.RulesetHash) != len("blake3:")+64 {
			t.Errorf("%s: status %s profile %s version %s hash %s", stage, doc.Summary.Status, v.Profile, v.PolicyVersion, v.RulesetHash)
		}
		perf := v.RawResults["performance"]
		if perf["status"] != want.perf || perf["severity"] != want.severity || perf["owner"] != want.owner || perf["reason_code"] == "" {
			t.Errorf("%s: performance %v", stage, perf)
		}
		if doc.Summary.Active == nil || doc.Summary.RecommendedStage == "" || doc.Health["rules_executed_ratio"] != 1 {
			t.Errorf("%s: summary %+v health %v", stage, doc.Summary, doc.Health)
		}
		if len(v.RawResults) != 5 {
			t.Errorf("%s: %d results, want the five core rules", stage, len(v.RawResults))
		}
	}
}

func TestEvaluateBadInputExit2(t *testing.T) {
	pol := writeFile(t, "p.yml", cliPolicy)
	good := writeFile(t, "run.json", `{"returns":[0.01,0.02]}`)
	cases := map[string]struct {
		args []string
		want string
	}{
		"unknown policy key": {[]string{"--policy", writeFile(t, "bad.yml", "validation_profiles:\n  paper:\n    performance: {sharpe_minn: 1}\n"), "--stage", "paper", "--run", good}, "validation_profiles.paper.performance.sharpe_minn"},
		"bad severity":       {[]string{"--policy", writeFile(t, "bad.yml", "validation_profiles:\n  paper:\n    performance: {severity: fatal}\n"), "--stage", "paper", "--run", good}, "severity"},
		"metrics wrong type": {[]string{"--policy", pol, "--stage", "paper", "--run", writeFile(t, "r.json", `{"metrics":{"returns":{"sharpe":"high"}}}`)}, "metrics.returns.sharpe"},
		"non-numeric return": {[]string{"--policy", pol, "--stage", "paper", "--run", writeFile(t, "r.json", `{"returns":[0.1,"x"]}`)}, "returns[1]"},
		"bad stage":          {[]string{"--policy", pol, "--stage", "pa per!", "--run", good}, "--stage"},
		"unknown stage":      {[]string{"--policy", pol, "--stage", "production", "--run", good}, "not a stage"},
		"missing file":       {[]string{"--policy", filepath.Join(t.TempDir(), "none.yml"), "--stage", "paper", "--run", good}, "none.yml"},
		"no flags":           {nil, "required"},
	}
	for name, c := range cases {
		code, out, stderr := runCLI(t, append([]string{"evaluate"}, c.args...)...)
		if code != exitUsage || out != "" {
			t.Errorf("%s: exit %d stdout %q", name, code, out)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: stderr %q: want one line mentioning %q", name, stderr, c.want)
		}
	}
}

func TestPolicyCheck(t *testing.T) {
	code, out, stderr := runCLI(t, "policy", "check", examplePolicy)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "valid policy") || strings.Count(out, "blake3:") != len(stagesShown) {
		t.Fatalf("output:\n%s", out)
	}
	code, out, _ = runCLI(t, "policy", "check", "--json", writeFile(t, "p.yml", cliPolicy))
	var sum policySummary
	if code != exitOK || json.Unmarshal([]byte(out), &sum) != nil {
		t.Fatalf("exit %d: %s", code, out)
	}
	if len(sum.Profiles) != 2 || sum.PolicyVersion != "5" || sum.Stages[0].Stage != "backtest" || sum.Stages[0].Profile != "backtest" || sum.Stages[1].Profile != "paper" {
		t.Fatalf("summary %+v", sum)
	}
	if sum.Stages[0].RulesetHash == sum.Stages[1].RulesetHash {
		t.Fatal("different profiles must hash differently")
	}
	code, _, stderr = runCLI(t, "policy", "check", writeFile(t, "bad.yml", "validation_profiles:\n  paper:\n    performance: {owner: nobody}\n"))
	if code != exitUsage || !strings.Contains(stderr, "owner") {
		t.Fatalf("bad owner: exit %d, %q", code, stderr)
	}
}
