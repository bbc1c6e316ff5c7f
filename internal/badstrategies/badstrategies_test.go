package badstrategies

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/policy"
	"github.com/worldval/worldval/validation/rules"
)

// dir is the regression set's directory.
const dir = "../../testdata/bad-strategies"

// TestFilesAreCurrent checks that the committed run files are exactly what
// the seeded generator draws, so nobody edits them by hand and a generator
// change is regenerated (go generate ./internal/badstrategies).
func TestFilesAreCurrent(t *testing.T) {
	var want []string
	for _, c := range Cases() {
		want = append(want, c.Name+".json")
		data, err := c.RunFile()
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, c.Name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s.json is stale: run go generate ./internal/badstrategies", c.Name)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	if !slices.Equal(got, want) {
		t.Errorf("run files %v, want one per case %v", got, want)
	}
}

// TestPolicyCatchesEveryBadStrategy evaluates each run file under the
// regression policy through the service's single-run pipeline: the verdict
// is not pass, and the case's rule catches it with the expected reason code
// (and, for threshold breaches, the expected metric).
func TestPolicyCatchesEveryBadStrategy(t *testing.T) {
	p := loadPolicy(t)
	modes := map[string]bool{}
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			out := evaluateFile(t, p, filepath.Join(dir, c.Name+".json"))
			if out.Summary.Status == rules.Pass {
				t.Fatalf("%s (%s) passes: %s", c.Name, c.Mode, explain(out.Validation.Results))
			}
			r, ok := out.Validation.Results.Get(c.Expect.Rule)
			if !ok || r.Status == rules.Pass || r.ReasonCode != c.Expect.ReasonCode {
				t.Fatalf("%s: rule %s is %s/%s, want fail or warn with %s; results: %s", c.Name, c.Expect.Rule, r.Status, r.ReasonCode,
					c.Expect.ReasonCode, explain(out.Validation.Results))
			}
			if c.Expect.Violation != "" && !violates(t, out.Validation.Results, c.Expect.Violation) {
				t.Fatalf("%s: performance does not report a violation of %s: %s", c.Name, c.Expect.Violation, explain(out.Validation.Results))
			}
		})
		modes[c.Mode] = true
	}
	for _, m := range []string{"leverage blow-up", "short history", "overfitting by search intensity", "tail risk", "liquidity", "decay in paper"} {
		if !modes[m] {
			t.Errorf("no case for failure mode %q", m)
		}
	}
}

// TestPolicyPassesTheControl shows that the policy is not simply failing
// everything: a steady, liquid strategy generated the same way passes.
func TestPolicyPassesTheControl(t *testing.T) {
	p := loadPolicy(t)
	data, err := Control().RunFile()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "control.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := evaluateFile(t, p, file); out.Summary.Status != rules.Pass {
		t.Fatalf("control is %s: %s", out.Summary.Status, explain(out.Validation.Results))
	}
}

func loadPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "policy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(data)
	if err != nil {
		t.Fatalf("policy.yml: %v", err)
	}
	return p
}

// evaluateFile decodes a run file and evaluates it as `worldval evaluate`
// does.
func evaluateFile(t *testing.T, p *policy.Policy, file string) evaluation.Run {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := evaluation.DecodeRunFile(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	res, err := policy.Resolve(p, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := evaluation.Evaluate(res, evaluation.Request{
		WorldID: rf.WorldID, StrategyID: rf.StrategyID, RunID: rf.RunID, Stage: rf.Stage,
		Metrics: rf.Metrics, Returns: rf.Returns, HasReturns: rf.HasReturns, Params: rf.Params,
	})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return out
}

// violates reports whether the performance rule lists a violation of metric.
func violates(t *testing.T, rs rules.Results, metric string) bool {
	t.Helper()
	r, ok := rs.Get(rules.Performance)
	if !ok {
		return false
	}
	for _, d := range r.Details {
		if d.Key != "violations" {
			continue
		}
		vs, ok := d.Value.([]rules.Violation)
		if !ok {
			t.Fatalf("details.violations is %T", d.Value)
		}
		for _, v := range vs {
			if v.Metric == metric {
				return true
			}
		}
	}
	return false
}

// explain lists the rules that do not pass, for failure messages.
func explain(rs rules.Results) string {
	var b bytes.Buffer
	for _, r := range rs {
		if r.Result.Status != rules.Pass {
			b.WriteString(r.Name + "=" + string(r.Result.Status) + "(" + r.Result.ReasonCode + ": " + r.Result.Reason + ") ")
		}
	}
	return b.String()
}
