package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/worldval/worldval/processor"
)

// PromtoolEnv names the variable scripts/services/promtool.sh sets to the
// promtool binary.
const PromtoolEnv = "WORLDVAL_TEST_PROMTOOL"

// promtool returns the promtool binary: $WORLDVAL_TEST_PROMTOOL, else the one
// on PATH. Without one the test fails (it is skipped under -short only):
// rules that were never checked must not pass.
func promtool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(PromtoolEnv); p != "" {
		return p
	}
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	if testing.Short() {
		t.Skip("-short: no promtool")
	}
	t.Fatalf("promtool not found: set %s or put it on PATH (scripts/test.sh installs Debian's prometheus package, scripts/services/promtool.sh)", PromtoolEnv)
	return ""
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
}

func TestAlertRulesCheck(t *testing.T) {
	runPromtool(t, "prometheus", "check", "rules", "alerts.yml")
}

func TestAlertRulesUnitTests(t *testing.T) {
	runPromtool(t, "prometheus", "test", "rules", "alerts_test.yml")
}

// exportedMetrics returns the name of every metric family the service's
// registry exports, with every risk-hub series touched once so that the
// label vectors show up.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	base := processor.NewMetrics()
	m := processor.NewRiskHubMetrics(base.Registry())
	m.SnapshotLag("w", time.Second)
	m.SnapshotMissing("w")
	m.SnapshotProcessed("w", "s")
	m.SnapshotFailed("w", "s")
	m.SnapshotRetry("w", "s")
	m.SnapshotDLQ("w", "s")
	m.SnapshotDedupe("w", "s")
	m.SnapshotExpired("w", "s")
	m.ObserveSnapshotLatency("w", "s", time.Second)
	for o := processor.ValidationEventProcessed; o <= processor.ValidationEventExpired; o++ {
		m.ValidationEvent(o, "w", "t", "s")
	}
	m.ObserveValidationEventLatency("w", "t", "s", time.Second)
	m.ExtendedValidationRun("w", "s", "success")
	m.ObserveExtendedValidation("w", "s", time.Second)
	m.LiveMonitoringRun("w", "success")
	m.LiveMonitoringUpdated("w", 1)
	families, err := base.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	return names
}

// promqlWords are the PromQL functions and keywords the rules and the
// dashboard use; any other identifier must be a metric.
func promqlWords() map[string]bool {
	words := map[string]bool{}
	for _, w := range strings.Fields(`sum rate increase max_over_time histogram_quantile vector or and unless
		by without on ignoring label_values avg max min count`) {
		words[w] = true
	}
	return words
}

// metricsOf returns the metric names expr (PromQL, or Grafana's
// label_values(metric, label)) refers to.
func metricsOf(expr string) []string {
	stringLit := regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	braces := regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`)
	grouping := regexp.MustCompile(`\b(by|without|on|ignoring)\s*\([^)]*\)`)
	labelValues := regexp.MustCompile(`\blabel_values\(\s*([^,()]+)\s*,[^)]*\)`)
	identifier := regexp.MustCompile(`\b[a-zA-Z_:][a-zA-Z0-9_:]*\b`)
	s := labelValues.ReplaceAllString(expr, "$1")
	s = stringLit.ReplaceAllString(s, " ")
	s = braces.ReplaceAllString(s, " ")
	s = grouping.ReplaceAllString(s, " ")
	words := promqlWords()
	var out []string
	for _, id := range identifier.FindAllString(s, -1) {
		if !words[id] {
			out = append(out, id)
		}
	}
	return out
}

// checkMetrics fails for every name of exprs that the service does not
// export (a histogram's _bucket, _count and _sum series count as its own).
func checkMetrics(t *testing.T, where string, exprs []string) {
	t.Helper()
	exported := exportedMetrics(t)
	for _, e := range exprs {
		names := metricsOf(e)
		if len(names) == 0 {
			t.Errorf("%s: %q names no metric", where, e)
		}
		for _, n := range names {
			base := n
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if b, ok := strings.CutSuffix(n, suffix); ok && exported[b] {
					base = b
				}
			}
			if !exported[base] {
				t.Errorf("%s: %q refers to %s, which the service does not export", where, e, n)
			}
		}
	}
}

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert  string            `yaml:"alert"`
			Record string            `yaml:"record"`
			Expr   string            `yaml:"expr"`
			For    string            `yaml:"for"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestAlertRulesNameExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("prometheus", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	var exprs []string
	alerts := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
			alerts[r.Alert] = r.Labels["severity"]
		}
	}
	checkMetrics(t, "alerts.yml", exprs)
	// The rules of spec §6.2 with their severities; DLQ alerts are
	// critical.
	for name, severity := range map[string]string{
		"RiskHubSnapshotStale": "warning", "RiskHubSnapshotLagCritical": "critical", "RiskHubSnapshotMissing": "warning",
		"RiskHubSnapshotDedupeSpike": "warning", "RiskHubSnapshotExpiredSpike": "warning", "RiskHubSnapshotRetrySpike": "warning",
		"RiskHubSnapshotDLQ": "critical", "LiveMonitoringNoRuns": "warning", "LiveMonitoringFailures": "warning",
		"ExtendedValidationFailures": "warning", "ExtendedValidationLatencyHigh": "warning",
		"RiskHubSnapshotLagHigh": "critical", "RiskHubSnapshotDlqSpike": "critical", "ValidationEventDlqSpike": "critical",
		"ValidationEventDlq": "critical", "ValidationEventFailureRatioHigh": "warning",
	} {
		if got, ok := alerts[name]; !ok || got != severity {
			t.Errorf("alert %s: severity %q (present %v), want %s", name, got, ok, severity)
		}
	}
}

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	UID    string `json:"uid"`
	Title  string `json:"title"`
	Panels []struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("grafana", "world-validation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	return d
}

func TestDashboardNamesExportedMetrics(t *testing.T) {
	d := loadDashboard(t)
	if d.UID != "world-validation-overview" || d.Title == "" || len(d.Panels) < 8 {
		t.Fatalf("dashboard uid %q, title %q, %d panels", d.UID, d.Title, len(d.Panels))
	}
	ids := map[int]bool{}
	var exprs []string
	for _, p := range d.Panels {
		if ids[p.ID] || p.Title == "" || p.Type == "" || len(p.Targets) == 0 {
			t.Errorf("panel %d %q: repeated id, no title or type, or no query", p.ID, p.Title)
		}
		ids[p.ID] = true
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Definition != "" {
			exprs = append(exprs, v.Definition)
		}
	}
	checkMetrics(t, "world-validation.json", exprs)
}

// TestDashboardQueriesParse hands every panel query to promtool as a
// recording rule, which parses it as PromQL.
func TestDashboardQueriesParse(t *testing.T) {
	bin := promtool(t)
	d := loadDashboard(t)
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	var names []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			expr := strings.ReplaceAll(tg.Expr, "$world", ".*")
			name := fmt.Sprintf("dashboard:panel_%d_%s", p.ID, tg.RefID)
			names = append(names, name)
			q, _ := json.Marshal(expr) // a JSON string is a YAML string
			fmt.Fprintf(&b, "      - record: %s\n        expr: %s\n", name, q)
		}
	}
	sort.Strings(names)
	path := filepath.Join(t.TempDir(), "dashboard_rules.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("the dashboard's queries do not parse: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), fmt.Sprintf("SUCCESS: %d rules found", len(names))) {
		t.Fatalf("promtool: %s", out)
	}
}

func TestMetricsOf(t *testing.T) {
	got := metricsOf(`histogram_quantile(0.95, sum by (le, world_id) (rate(x_bucket{status=~"a|b",world_id="$w"}[5m]))) > 60 or vector(0)`)
	if strings.Join(got, ",") != "x_bucket" {
		t.Fatalf("metricsOf = %v", got)
	}
}
