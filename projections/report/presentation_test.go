package report

import (
	"regexp"
	"strings"
	"testing"
)

// TestBenchmarkNote checks that comparison extras shown without a benchmark
// series say so, and that an uplift with nothing to subtract is named for
// what it is: the strategy's own Sharpe ratio.
func TestBenchmarkNote(t *testing.T) {
	for _, c := range []struct {
		name, metrics string
		note          string // "" for none; else a phrase the note must hold
		againstZero   bool
	}{
		{"uplift against nothing", `{"returns": {"sharpe": 0.06}, "diagnostics": {"extra_metrics": {"portfolio_sharpe_uplift": 0.06}}}`, "No benchmark series was submitted", true},
		{"uplift over a baseline", `{"diagnostics": {"extra_metrics": {"portfolio_baseline_sharpe": 0.02, "portfolio_sharpe_uplift": 0.04}}}`, "No benchmark series was submitted", false},
		{"benchmark Sharpe only", `{"diagnostics": {"extra_metrics": {"benchmark_sharpe": 0.03, "portfolio_sharpe_uplift": 0.03}}}`, "No benchmark series was submitted", false},
		{"a benchmark series", `{"returns": {"sharpe": 0.06}, "benchmark": {"sharpe": 0.04}, "diagnostics": {"extra_metrics": {"portfolio_sharpe_uplift": 0.06}}}`, "", false},
	} {
		b := benchmark([]byte(c.metrics), nil)
		if b == nil {
			t.Fatalf("%s: no section", c.name)
		}
		if c.note == "" && b.Note != "" || !strings.Contains(b.Note, c.note) || strings.Contains(b.Note, "measured against 0") != c.againstZero {
			t.Errorf("%s: note %q", c.name, b.Note)
		}
	}
}

// TestModelCardExtrasAreLabelled checks that the card's other fields are
// shown under their own heading with labels a reader expects ("Intended
// use", not intended_use), in both renderers.
func TestModelCardExtrasAreLabelled(t *testing.T) {
	in := fixture(t, "tail-risk.json")
	in.ModelCard = &ModelCard{Version: "1.3", Document: []byte(`{"strategy_id": "short-vol", "version": "1.3", "objective": "Harvest the premium.",
		"data_overview": "OPRA quotes", "key_assumptions": [], "key_limitations": [], "intended_use": "a small allocation", "model_type": "options overlay"}`)}
	rep := Build(in)
	var page, md strings.Builder
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h3>Other model card fields</h3>", `<th scope="row">Intended use</th><td>a small allocation</td>`,
		`<th scope="row">Model type</th>`, "<h3>Data</h3>"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if !strings.Contains(md.String(), "- Intended use: a small allocation\n") {
		t.Errorf("the markdown lacks the intended use:\n%s", md.String())
	}
}

// TestChartNoteRoundsPercentages checks the chart summary gives final
// equity and drawdown in percent with two decimals, not six significant
// digits.
func TestChartNoteRoundsPercentages(t *testing.T) {
	var page strings.Builder
	if err := WriteHTML(&page, Build(fixture(t, "tail-risk.json"))); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`final equity -?\d+\.\d\d %, maximum drawdown \d+\.\d\d %`).MatchString(page.String()) {
		t.Errorf("chart note: %s", regexp.MustCompile(`final equity[^<]*`).FindString(page.String()))
	}
}
