package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// ReportFormat is the format of a validation report.
type ReportFormat string

// Formats of a validation report ([Client.Report]).
const (
	// ReportMarkdown is the report as Markdown text.
	ReportMarkdown ReportFormat = "md"
	// ReportHTML is the report as one self-contained HTML page (inline
	// CSS and SVG charts, no scripts, no external resources) that prints
	// on A4.
	ReportHTML ReportFormat = "html"
)

// Report returns the validation report of an evaluated run
// (validation-core §12.1) in format: its verdict, its rule results, the
// charts of its return series and the sections drawn from its strategy's
// model card (the version the run recorded, else the latest). A run without
// a verdict is [CodeRunNotEvaluated], an unknown run [CodeRunNotFound]. With
// [AsOf] the report shows the run, and the cards, as the service knew them
// then.
func (c *Client) Report(ctx context.Context, ref RunRef, format ReportFormat, opts ...ReadOption) ([]byte, error) {
	accept := "text/markdown"
	if format == ReportHTML {
		accept = "text/html"
	}
	var body []byte
	req := request{method: http.MethodGet, path: ref.path("report"), query: readQuery(url.Values{"format": {string(format)}}, opts), accept: accept, retry: true}
	if _, err := c.do(ctx, req, &body); err != nil {
		return nil, fmt.Errorf("report of %s: %w", ref, err)
	}
	return body, nil
}
