package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH                      = 760.0, 230.0
	padLeft, padRight, padTop, padBelow = 64.0, 18.0, 14.0, 38.0
	// maxChartPoints bounds the vertices of one curve; longer series are
	// reduced to the minimum and maximum of each bucket, which keeps every
	// peak and trough.
	maxChartPoints = 1200
)

// chartStyle is one curve's look.
type chartStyle struct {
	id, title, yLabel string
	stroke, fill      string // fill "" draws a line, else an area down to zero
	percent           bool   // y values are fractions shown as percent
}

// svgChart draws ys (x = offset … offset+len−1 periods) as an inline SVG
// line or area chart with axes, ticks, a zero line and a title.
func svgChart(st chartStyle, ys []float64, offset, total int, ppy float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="chart-%s" data-chart="%s" data-points="%d" viewBox="0 0 %g %g" role="img" aria-labelledby="chart-%s-title" xmlns="http://www.w3.org/2000/svg">`,
		st.id, st.id, len(ys), chartW, chartH, st.id)
	fmt.Fprintf(&b, `<title id="chart-%s-title">%s</title>`, st.id, html.EscapeString(st.title))
	lo, hi := 0.0, 0.0
	for _, y := range ys {
		lo, hi = math.Min(lo, y), math.Max(hi, y)
	}
	if hi-lo < 1e-12 {
		hi, lo = hi+1e-3, lo-1e-3
	}
	ticks := niceTicks(lo, hi, 5)
	lo, hi = math.Min(lo, ticks[0]), math.Max(hi, ticks[len(ticks)-1])
	plotW, plotH := chartW-padLeft-padRight, chartH-padTop-padBelow
	xOf := func(i float64) float64 { return padLeft + plotW*i/math.Max(1, float64(total-1)) }
	yOf := func(v float64) float64 { return padTop + plotH*(hi-v)/(hi-lo) }

	// Grid and y axis labels.
	b.WriteString(`<g class="grid" stroke="#d9dee5" stroke-width="1">`)
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, padLeft, yOf(t), chartW-padRight, yOf(t))
	}
	b.WriteString(`</g><g class="ylabels" font-size="11" fill="#4a5563" text-anchor="end">`)
	for _, t := range ticks {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`, padLeft-6, yOf(t)+4, tickLabel(t, st.percent))
	}
	b.WriteString(`</g>`)
	// X axis: periods, labelled in years when the series spans one.
	b.WriteString(`<g class="xlabels" font-size="11" fill="#4a5563" text-anchor="middle">`)
	years := ppy > 0 && float64(total) >= ppy
	if years {
		for _, t := range niceTicks(0, float64(total-1)/ppy, 6) {
			if x := t * ppy; x >= 0 && x <= float64(total-1) {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`, xOf(x), chartH-padBelow+16, trimFloat(t))
			}
		}
	} else {
		for _, t := range niceTicks(0, float64(total-1), 6) {
			if t >= 0 && t <= float64(total-1) {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`, xOf(t), chartH-padBelow+16, trimFloat(t))
			}
		}
	}
	axis := "period"
	if years {
		axis = fmt.Sprintf("years (%g periods a year)", ppy)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#6b7480">%s</text></g>`, padLeft+plotW/2, chartH-4, html.EscapeString(axis))
	fmt.Fprintf(&b, `<text class="ytitle" x="14" y="%.1f" font-size="11" fill="#6b7480" transform="rotate(-90 14 %.1f)" text-anchor="middle">%s</text>`,
		padTop+plotH/2, padTop+plotH/2, html.EscapeString(st.yLabel))
	// Zero line and frame.
	if lo < 0 && hi > 0 {
		fmt.Fprintf(&b, `<line class="zero" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#8a939e" stroke-width="1" stroke-dasharray="4 3"/>`,
			padLeft, yOf(0), chartW-padRight, yOf(0))
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#b8c0ca" stroke-width="1"/>`, padLeft, padTop, plotW, plotH)
	// The curve.
	idx, vals := reduce(ys)
	var path strings.Builder
	for k := range idx {
		cmd := "L"
		if k == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&path, "%s%.1f %.1f", cmd, xOf(float64(offset+idx[k])), yOf(vals[k]))
	}
	if st.fill != "" && len(idx) > 0 {
		fmt.Fprintf(&b, `<path class="area" d="%sL%.1f %.1fL%.1f %.1fZ" fill="%s" fill-opacity="0.28" stroke="none"/>`, path.String(),
			xOf(float64(offset+idx[len(idx)-1])), yOf(0), xOf(float64(offset+idx[0])), yOf(0), st.fill)
	}
	fmt.Fprintf(&b, `<path class="line" d="%s" fill="none" stroke="%s" stroke-width="1.6" stroke-linejoin="round"/>`, path.String(), st.stroke)
	b.WriteString(`</svg>`)
	return b.String()
}

// reduce returns at most maxChartPoints (index, value) vertices of ys: all
// of them when few, else the first minimum and maximum of each bucket in
// index order.
func reduce(ys []float64) ([]int, []float64) {
	n := len(ys)
	if n <= maxChartPoints {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx, ys
	}
	buckets := maxChartPoints / 2
	idx := make([]int, 0, maxChartPoints)
	vals := make([]float64, 0, maxChartPoints)
	for k := range buckets {
		lo, hi := k*n/buckets, (k+1)*n/buckets
		mi, ma := lo, lo
		for i := lo; i < hi; i++ {
			if ys[i] < ys[mi] {
				mi = i
			}
			if ys[i] > ys[ma] {
				ma = i
			}
		}
		first, second := min(mi, ma), max(mi, ma)
		idx, vals = append(idx, first), append(vals, ys[first])
		if second != first {
			idx, vals = append(idx, second), append(vals, ys[second])
		}
	}
	return idx, vals
}

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	span := hi - lo
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return []float64{lo}
	}
	raw := span / float64(max(n-1, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step) * step
	var out []float64
	for v := start; v <= hi+step*0.5 && len(out) < 4*n; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// tickLabel formats an axis value.
func tickLabel(v float64, percent bool) string {
	if percent {
		return fmt.Sprintf("%s%%", trimFloat(v*100))
	}
	return trimFloat(v)
}

// trimFloat prints v with at most 4 significant decimals and no trailing
// zeros.
func trimFloat(v float64) string {
	if math.Abs(v) < 1e-12 {
		return "0"
	}
	s := fmt.Sprintf("%.4f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
