package report

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumPath returns the headless browser the rendering tests drive:
// WORLDVAL_TEST_CHROMIUM (scripts/services/chromium.sh sets it), else
// chromium on PATH. Without one the tests fail, as tests that need a server
// do, except under -short, which skips them.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("renders in headless Chromium; skipped under -short")
	}
	if p := os.Getenv("WORLDVAL_TEST_CHROMIUM"); p != "" {
		return p
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("WORLDVAL_TEST_CHROMIUM is unset and chromium is not on PATH: run scripts/test.sh, whose scripts/services/chromium.sh installs it")
	return ""
}

// runChromium runs headless Chromium on file with the given output flags
// and returns its standard output.
func runChromium(t *testing.T, file string, flags ...string) []byte {
	t.Helper()
	bin := chromiumPath(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+file)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", flags, err, stderr.String())
	}
	return stdout.Bytes()
}

// writeReport renders the fixture's HTML report into a temporary file,
// with extra inserted before </body> when not empty.
func writeReport(t *testing.T, extra string) string {
	t.Helper()
	var b strings.Builder
	if err := WriteHTML(&b, Build(fixture(t, "tail-risk.json"))); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if extra != "" {
		page = strings.Replace(page, "</body>", extra+"</body>", 1)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// probeScript measures the laid-out page from inside the browser and
// appends its findings as JSON in <pre id="probe">. Only the test copy of
// the page carries it; the report itself has no script.
const probeScript = `<script>(function () {
  const rulesOf = (sel) => Array.from(document.styleSheets).flatMap((s) => Array.from(s.cssRules)).filter(sel);
  const out = {};
  out.sections = ["summary", "charts", "scope", "model", "profile", "results", "extended", "metrics", "overrides",
    "ex-post-failures", "benchmark", "limitations", "history"].map((id) => {
      const e = document.getElementById(id);
      if (!e) return {id: id, present: false};
      const r = e.getBoundingClientRect();
      return {id: id, present: true, width: r.width, height: r.height, text: e.textContent.trim().length};
    });
  out.charts = Array.from(document.querySelectorAll("svg.chart")).map((s) => {
    const r = s.getBoundingClientRect(), line = s.querySelector("path.line");
    return {id: s.dataset.chart, ns: s.namespaceURI, width: r.width, height: r.height,
      length: line ? line.getTotalLength() : 0, labels: s.querySelectorAll("text").length};
  });
  out.rules = Array.from(document.querySelectorAll("table.rules tr[data-rule]")).map((tr) => {
    const b = tr.querySelector(".status");
    return {rule: tr.dataset.rule, status: b.textContent.trim(), color: getComputedStyle(b).color, background: getComputedStyle(b).backgroundColor};
  });
  const v = document.getElementById("verdict");
  out.verdict = {text: v.textContent.trim(), color: getComputedStyle(v).color};
  out.overflow = document.documentElement.scrollWidth - window.innerWidth;
  out.resources = performance.getEntriesByType("resource").length;
  out.printRules = rulesOf((r) => r.media && r.media.mediaText.indexOf("print") >= 0).length;
  out.pageRule = rulesOf((r) => r.type === CSSRule.PAGE_RULE).length;
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();</script>`

// probe is what probeScript reports.
type probe struct {
	Sections []struct {
		ID      string  `json:"id"`
		Present bool    `json:"present"`
		Width   float64 `json:"width"`
		Height  float64 `json:"height"`
		Text    int     `json:"text"`
	} `json:"sections"`
	Charts []struct {
		ID     string  `json:"id"`
		NS     string  `json:"ns"`
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
		Length float64 `json:"length"`
		Labels int     `json:"labels"`
	} `json:"charts"`
	Rules []struct {
		Rule, Status, Color, Background string
	} `json:"rules"`
	Verdict struct {
		Text, Color string
	} `json:"verdict"`
	Overflow   float64 `json:"overflow"`
	Resources  int     `json:"resources"`
	PrintRules int     `json:"printRules"`
	PageRule   int     `json:"pageRule"`
}

// rgb parses a computed "rgb(r, g, b)" colour.
func rgb(t *testing.T, s string) [3]int {
	t.Helper()
	var c [3]int
	if _, err := fmtSscanf(s, &c); err != nil {
		t.Fatalf("colour %q: %v", s, err)
	}
	return c
}

// TestChromiumRendersTheReport loads the report in headless Chromium with a
// probe and checks the laid-out page: every section present and non-empty,
// three SVG charts in the SVG namespace with real width and a drawn curve,
// the rule outcome table coloured by status, the verdict badge red, no
// horizontal overflow, nothing fetched, and print styles with an @page rule.
func TestChromiumRendersTheReport(t *testing.T) {
	file := writeReport(t, probeScript)
	dom := runChromium(t, file, "--window-size=1100,1400", "--virtual-time-budget=5000", "--dump-dom")
	m := regexp.MustCompile(`(?s)<pre id="probe">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("no probe output in the DOM:\n%.2000s", dom)
	}
	var p probe
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &p); err != nil {
		t.Fatalf("probe: %v: %s", err, m[1])
	}
	if len(p.Sections) != 13 {
		t.Fatalf("sections %+v", p.Sections)
	}
	for _, s := range p.Sections {
		if !s.Present || s.Height < 40 || s.Width < 600 || s.Text < 40 {
			t.Errorf("section %s is missing, empty or collapsed: %+v", s.ID, s)
		}
	}
	if len(p.Charts) != 3 {
		t.Fatalf("charts %+v", p.Charts)
	}
	for i, want := range []string{"equity", "drawdown", "rolling-sharpe"} {
		c := p.Charts[i]
		if c.ID != want || c.NS != "http://www.w3.org/2000/svg" || c.Width < 600 || c.Height < 150 || c.Length < 500 || c.Labels < 6 {
			t.Errorf("chart %d: %+v, want %s drawn with axes", i, c, want)
		}
	}
	if len(p.Rules) != 5 {
		t.Fatalf("rule rows %+v", p.Rules)
	}
	for _, r := range p.Rules {
		c := rgb(t, r.Color)
		switch r.Status {
		case "FAIL":
			if c[0] < 2*c[1] {
				t.Errorf("%s: FAIL is not red: %s", r.Rule, r.Color)
			}
		case "PASS":
			if c[1] < 2*c[0] {
				t.Errorf("%s: PASS is not green: %s", r.Rule, r.Color)
			}
		default:
			t.Errorf("%s: status %q", r.Rule, r.Status)
		}
	}
	if v := rgb(t, p.Verdict.Color); p.Verdict.Text != "FAIL" || v[0] < 2*v[1] {
		t.Errorf("verdict badge %+v", p.Verdict)
	}
	if p.Overflow > 0 || p.Resources != 0 || p.PrintRules == 0 || p.PageRule != 1 {
		t.Errorf("overflow %v px, %d resources fetched, %d print rules, %d @page rules", p.Overflow, p.Resources, p.PrintRules, p.PageRule)
	}
}

// TestChromiumPrintsTheReport prints the report to PDF: A4 pages (the @page
// rule), several of them and not one per section.
func TestChromiumPrintsTheReport(t *testing.T) {
	file := writeReport(t, "")
	pdf := filepath.Join(t.TempDir(), "report.pdf")
	runChromium(t, file, "--no-pdf-header-footer", "--print-to-pdf="+pdf)
	data, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(data, -1))
	a4 := len(regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+59[45](\.\d+)?\s+84[12](\.\d+)?\s*\]`).FindAll(data, -1))
	if pages < 3 || pages > 9 || a4 != pages {
		t.Fatalf("%d pages, %d of them A4; want 3 to 9 A4 pages", pages, a4)
	}
}

// TestChromiumScreenshot takes a screenshot of the top of the report and
// checks it shows the red verdict and colours, not a blank page.
func TestChromiumScreenshot(t *testing.T) {
	file := writeReport(t, "")
	shot := filepath.Join(t.TempDir(), "report.png")
	runChromium(t, file, "--window-size=1100,2400", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != 1100 || b.Dy() != 2400 {
		t.Fatalf("screenshot %v", b)
	}
	colours := map[[3]uint32]bool{}
	red, blue := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			colours[[3]uint32{r >> 4, g >> 4, bl >> 4}] = true
			if r > 150 && g < 80 && bl < 80 {
				red++ // the verdict badge, FAIL labels, the drawdown curve
			}
			if bl > 100 && r < 60 && g < 110 {
				blue++ // the equity curve
			}
		}
	}
	if len(colours) < 40 || red < 100 || blue < 100 {
		t.Fatalf("screenshot looks blank or uncoloured: %d colours, %d red, %d blue samples", len(colours), red, blue)
	}
}
