package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMetricsAppendixB runs the spec's hand-checked series (validation-core
// Appendix B) through the command, as JSON and as CSV.
func TestMetricsAppendixB(t *testing.T) {
	series := []string{"0.01", "0.02", "-0.005", "0.015", "0.012", "0.008", "-0.003", "0.02", "0.01", "0.005"}
	inputs := map[string]string{
		"returns.json": "[" + strings.Join(series, ",") + "]",
		"returns.csv":  "return\n" + strings.Join(series, "\n") + "\n",
	}
	for name, content := range inputs {
		t.Run(name, func(t *testing.T) {
			code, out, stderr := runCLI(t, "metrics", "--returns", writeFile(t, name, content))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var doc map[string]map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			want := map[string]float64{
				"returns.sharpe":                        1.1450015,
				"returns.max_drawdown":                  0.005,
				"returns.gain_to_pain_ratio":            11.5,
				"returns.time_under_water_ratio":        0.2,
				"returns.var_p01":                       0.00482,
				"returns.es_p01":                        0.005,
				"sample.effective_history_years":        0.0396825,
				"sample.n_trades_total":                 10,
				"sample.n_trades_per_year":              252,
				"robustness.sharpe_first_half":          1.2373940,
				"robustness.sharpe_second_half":         1.0728836,
				"robustness.deflated_sharpe_ratio":      0.9943644,
				"robustness.probabilistic_sharpe_ratio": 0.9943644,
				"diagnostics.strategy_complexity":       1.6931472,
			}
			for path, w := range want {
				block, field, _ := strings.Cut(path, ".")
				got, ok := doc[block][field].(float64)
				if !ok || math.Abs(got-w) > 5e-7*math.Max(1, math.Abs(w)) {
					t.Errorf("%s = %v, want %v", path, doc[block][field], w)
				}
			}
		})
	}
}

func TestMetricsSearchIntensityLowersDSR(t *testing.T) {
	p := writeFile(t, "r.json", "[0.01,0.02,-0.005,0.015,0.012,0.008,-0.003,0.02,0.01,0.005]")
	dsr := func(args ...string) float64 {
		return metricsBlocks(t, p, args...)["robustness"]["deflated_sharpe_ratio"].(float64)
	}
	one, many := dsr(), dsr("--search-intensity", "100")
	if !(many < one) {
		t.Fatalf("DSR with 100 trials %v not below DSR with 1 trial %v", many, one)
	}
}

func TestMetricsBadInputExit2WithOneLine(t *testing.T) {
	cases := map[string]struct{ content, want string }{
		"not a number": {`[0.01, "abc", 0.02]`, "returns[1]"},
		"empty":        {`[]`, "empty"},
		"csv nan":      {"0.01\nNaN\n", "line 2"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, stderr := runCLI(t, "metrics", "--returns", writeFile(t, "r.txt", c.content))
			if code != exitUsage || out != "" {
				t.Fatalf("exit %d, stdout %q", code, out)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr %q: want one line mentioning %q", stderr, c.want)
			}
		})
	}
	if code, _, _ := runCLI(t, "metrics", "--returns", "/nonexistent/r.json"); code != exitUsage {
		t.Fatalf("missing file: exit %d", code)
	}
	if code, _, _ := runCLI(t, "metrics"); code != exitUsage {
		t.Fatalf("no --returns: exit %d", code)
	}
	// Periods per year must be positive, as in the HTTP API: 0 is not a
	// silent way of asking for the default.
	series := writeFile(t, "ok.json", `[0.01, 0.02]`)
	for _, ppy := range []string{"0", "-12", "NaN", "+Inf"} {
		code, out, stderr := runCLI(t, "metrics", "--returns", series, "--periods-per-year", ppy)
		if code != exitUsage || out != "" || !strings.Contains(stderr, "--periods-per-year") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Fatalf("--periods-per-year %s: exit %d, stdout %q, stderr %q", ppy, code, out, stderr)
		}
	}
}

// TestMetricsSearchIntensityZeroIsAValue: an explicit --search-intensity 0 is
// the value 0 (validation-core §3.2: int ≥ 0; §4.5.7: only an absent value is
// written as 1), so strategy_complexity = 1 + ln(1 + 0) = 1 and the trial
// count is max(1, 0) = 1, as for a run file whose params.search_intensity is
// 0. Without the flag, 1 is written and the complexity is 1 + ln 2.
func TestMetricsSearchIntensityZeroIsAValue(t *testing.T) {
	p := writeFile(t, "r.json", "[0.01,0.02,-0.005,0.015,0.012,0.008,-0.003,0.02,0.01,0.005]")
	diag := func(args ...string) map[string]any { return metricsBlocks(t, p, args...)["diagnostics"] }
	for _, c := range []struct {
		args       []string
		si, complx float64
	}{
		{nil, 1, 1 + math.Ln2},
		{[]string{"--search-intensity", "0"}, 0, 1},
		{[]string{"--search-intensity", "3"}, 3, 1 + math.Log(4)},
	} {
		d := diag(c.args...)
		if d["search_intensity"] != c.si || math.Abs(d["strategy_complexity"].(float64)-c.complx) > 1e-12 {
			t.Errorf("%v: search_intensity %v, strategy_complexity %v; want %v, %v", c.args, d["search_intensity"], d["strategy_complexity"], c.si, c.complx)
		}
	}
}

// metricsBlocks runs worldval metrics on the returns file path with args and
// returns the printed metric blocks; anything but exit 0 fails the test.
func metricsBlocks(t *testing.T, path string, args ...string) map[string]map[string]any {
	t.Helper()
	code, out, stderr := runCLI(t, append([]string{"metrics", "--returns", path}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
