package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/worldval/worldval/client"
)

// writeDemoReports fetches the HTML validation report of every run in
// results through c, as `worldval report` does, and writes it to
// dir/STRATEGY-RUN.html (dir is created as needed; existing files are
// replaced). It prints the directory and each file with its verdict on w.
func writeDemoReports(ctx context.Context, w io.Writer, c *client.Client, dir string, results []demoResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	fmt.Fprintf(w, "Validation reports, one self-contained HTML page per run (open them in a browser, or print them):\n")
	for _, r := range results {
		ref := r.verdict.Ref()
		page, err := c.Report(ctx, ref, client.ReportHTML)
		if err != nil {
			return fmt.Errorf("reports: %w", err)
		}
		name := filepath.Join(dir, demoReportName(ref))
		if err := os.WriteFile(name, page, 0o644); err != nil {
			return fmt.Errorf("reports: %w", err)
		}
		fmt.Fprintf(w, "  %-4s  %s\n", strings.ToUpper(r.verdict.Summary.Status), name)
	}
	return nil
}

// demoReportName is the file name of a run's report: STRATEGY-RUN.html,
// each id escaped as a URL path segment so that no id can name another
// directory.
func demoReportName(ref client.RunRef) string {
	return url.PathEscape(ref.StrategyID) + "-" + url.PathEscape(ref.RunID) + ".html"
}
