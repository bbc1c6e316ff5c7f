package report

import (
	"strings"
	"testing"
)

// sectionHeadings are the headings of validation-core §12.1, in order.
var sectionHeadings = []string{"0. Summary", "1. Scope &", "2. Model summary", "3. Validation profile &", "4. Results",
	"4-1. Extended validation", "5. Metrics snapshot", "6. Override information", "6-1. Ex-post failures", "7. Benchmark comparison",
	"8. Limitations &", "Appendix: revision history"}

// inOrder reports the first heading missing from s or out of order.
func inOrder(s string, headings []string) string {
	at := 0
	for _, h := range headings {
		i := strings.Index(s[at:], h)
		if i < 0 {
			return h
		}
		at += i + len(h)
	}
	return ""
}

func TestMarkdownHasEverySection(t *testing.T) {
	var b strings.Builder
	if err := WriteMarkdown(&b, Build(fixture(t, "tail-risk.json"))); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if !strings.HasPrefix(md, "# Validation Report — short-vol @ demo\n\n## 0. Summary\n\n**FAIL**") {
		t.Fatalf("head:\n%.200s", md)
	}
	if h := inOrder(md, sectionHeadings); h != "" {
		t.Fatalf("section %q missing or out of order:\n%s", h, md)
	}
	for _, want := range []string{
		"| Ruleset hash | `blake3:",
		"- **performance** fail (blocking, `performance_thresholds_failed`): es_p01 above maximum 0.05",
		"  - `es_p01` = 0.0515539, above_max (bound ≤ 0.05)",
		"| tail_loss | `es_p01` | — | 0.05 | 0.0515539 | **breached** |",
		"| performance | FAIL | blocking | quant |",
		"- Review due: 2027-02-19T10:00:00Z",
		"tail hedged by the desk's put overlay &lt;b>", // markup in a reason stays text
		"| case-7 | confirmed | risk_breach | `tail_loss_realized` |",
		"Recommended stage: **backtest_only**.",
		"| 3 | 2026-11-21T10:00:00.3Z | override approved by risk.lead@example.com | fail |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// TestHTMLIsSelfContained checks the page has every section, its three
// charts inline, no scripts and no external resources, and that text from
// the history cannot inject markup.
func TestHTMLIsSelfContained(t *testing.T) {
	in := fixture(t, "tail-risk.json")
	reason := `<script>alert("x")</script>`
	in.Run.Summary.Override.OverrideReason = &reason
	var b strings.Builder
	if err := WriteHTML(&b, Build(in)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "<style>") || !strings.Contains(page, "@media print") {
		t.Fatal("not a styled HTML document")
	}
	if h := inOrder(page, append([]string{"<title>Validation Report — short-vol @ demo</title>"}, sectionHeadings...)); h != "" {
		t.Fatalf("section %q missing or out of order", h)
	}
	if n := strings.Count(page, "<svg class=\"chart\""); n != 3 {
		t.Fatalf("%d charts, want 3", n)
	}
	for _, bad := range []string{"<script", "<link", " src=", "@import", "url("} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("page contains %q: it must not load or run anything", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("the override reason is not escaped")
	}
}
