package examples_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/worldval/worldval/examples"
	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

// TestFilesAreUpToDate compares the committed example files with what the
// generator writes: regenerate them with `go generate ./examples` after
// changing a strategy.
func TestFilesAreUpToDate(t *testing.T) {
	dir := t.TempDir()
	files, err := examples.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(rel) // the committed file, relative to this package
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale or missing (%v): run go generate ./examples", rel, err)
		}
	}
}

// TestRunFilesDecode reads every run file back as `worldval evaluate --run`
// does: the same identity, returns and search intensity.
func TestRunFilesDecode(t *testing.T) {
	for _, s := range examples.Strategies() {
		data, err := s.RunFile()
		if err != nil {
			t.Fatal(err)
		}
		rf, err := evaluation.DecodeRunFile(data)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if rf.WorldID != examples.World || rf.StrategyID != s.StrategyID || rf.RunID != s.RunID || rf.Stage != s.Stage ||
			!slices.Equal(rf.Returns, s.Returns()) || metrics.Trials(rf.Metrics) != int64(s.SearchIntensity) {
			t.Errorf("%s: decoded %+v", s.Name, rf)
		}
	}
}

// TestReturnsAreSeeded checks that a strategy's series depends on its seed
// alone and has the length its regimes say.
func TestReturnsAreSeeded(t *testing.T) {
	for _, s := range examples.Strategies() {
		a, b := s.Returns(), s.Returns()
		days := 0
		for _, r := range s.Regimes {
			days += r.Days
		}
		if !slices.Equal(a, b) || len(a) != days {
			t.Errorf("%s: %d returns, want %d, deterministic %v", s.Name, len(a), days, slices.Equal(a, b))
		}
		s.Seed++
		if slices.Equal(a, s.Returns()) {
			t.Errorf("%s: another seed draws the same series", s.Name)
		}
	}
}

// TestOfflineVerdicts evaluates every example under the example policy with
// the offline pipeline (the paper run against the robust backtest as its
// baseline, as the evaluator does) and checks the expected verdicts and
// deciding reasons. The demo's test checks the same through the service.
func TestOfflineVerdicts(t *testing.T) {
	p, err := policy.Parse(examples.Policy())
	if err != nil {
		t.Fatal(err)
	}
	res, err := policy.Resolve(p, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	backtests := map[string]*metrics.Baseline{}
	for _, s := range examples.Strategies() {
		req := evaluation.Request{WorldID: examples.World, StrategyID: s.StrategyID, RunID: s.RunID, Stage: s.Stage,
			Metrics: s.Metrics(), Returns: s.Returns(), HasReturns: true, Baseline: backtests[s.StrategyID]}
		run, err := evaluation.Evaluate(res, req)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if s.Stage == "backtest" {
			backtests[s.StrategyID] = &metrics.Baseline{RunID: s.RunID, Metrics: run.Metrics}
		}
		var reasons, violated []string
		for _, r := range run.Validation.Results {
			if r.Result.Status != "pass" {
				reasons = append(reasons, r.Result.ReasonCode)
			}
		}
		if perf, ok := run.Validation.Results.Get("performance"); ok {
			var d struct {
				Violations []struct {
					Metric string `json:"metric"`
				} `json:"violations"`
			}
			raw, err := json.Marshal(perf.Details)
			if err != nil || json.Unmarshal(raw, &d) != nil {
				t.Fatalf("%s: performance details %s: %v", s.Name, raw, err)
			}
			for _, v := range d.Violations {
				violated = append(violated, v.Metric)
			}
		}
		t.Logf("%-8s %s %s %v %v", s.Name, run.Summary.Status, run.Summary.RecommendedStage, reasons, violated)
		if string(run.Summary.Status) != s.Expect.Verdict || run.Summary.RecommendedStage != s.Expect.RecommendedStage {
			t.Errorf("%s: %s %s, want %s %s", s.Name, run.Summary.Status, run.Summary.RecommendedStage, s.Expect.Verdict, s.Expect.RecommendedStage)
		}
		for _, want := range s.Expect.Reasons {
			if !slices.Contains(reasons, want) {
				t.Errorf("%s: reasons %v lack %s", s.Name, reasons, want)
			}
		}
		for _, want := range s.Expect.Violations {
			if !slices.Contains(violated, want) {
				t.Errorf("%s: violations %v lack %s", s.Name, violated, want)
			}
		}
	}
}
