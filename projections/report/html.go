package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplate string

//go:embed report.css
var reportCSS string

// WriteHTML renders the report as one self-contained HTML page: inline CSS
// (print styles included), inline SVG charts, no scripts and no external
// resources, so the file can be archived, mailed and printed as it is.
func WriteHTML(w io.Writer, r Report) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"css":         func() template.CSS { return template.CSS(reportCSS) },
		"status":      statusClass,
		"upper":       strings.ToUpper,
		"notProvided": orNotProvided,
		"pct":         func(f float64) string { return strconv.FormatFloat(100*f, 'f', 2, 64) + " %" },
		"fieldLabel":  fieldLabel,
		"fact": func(label string, s Summary) string {
			for _, f := range s.Facts {
				if f.Label == label {
					return f.Value
				}
			}
			return ""
		},
		"chartEquity": func(c *Charts) template.HTML {
			return template.HTML(svgChart(chartStyle{id: "equity", title: "Equity curve", yLabel: "net return", stroke: "#1f4e79", percent: true},
				c.Equity, 0, c.N, c.PeriodsPerYear))
		},
		"chartDrawdown": func(c *Charts) template.HTML {
			return template.HTML(svgChart(chartStyle{id: "drawdown", title: "Drawdown", yLabel: "drawdown", stroke: "#b42318", fill: "#b42318", percent: true},
				c.Drawdown, 0, c.N, c.PeriodsPerYear))
		},
		"chartSharpe": func(c *Charts) template.HTML {
			return template.HTML(svgChart(chartStyle{id: "rolling-sharpe", title: fmt.Sprintf("Rolling Sharpe ratio (%d periods)", c.Window), yLabel: "Sharpe per period", stroke: "#6941c6"},
				c.RollingSharpe, c.Window-1, c.N, c.PeriodsPerYear))
		},
	}).Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("report template: %w", err)
	}
	if err := t.Execute(w, r); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}
