package risksnapshot

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/worldval/worldval/events"
)

// Limits on inline realized returns ([QMTL] risk_hub_contract.py).
const (
	// MaxSeriesPoints is the longest series of one strategy.
	MaxSeriesPoints = 200_000
	// MaxTotalPoints bounds the points of all series together, and the
	// length of a legacy bare series.
	MaxTotalPoints = 1_000_000
)

// parseRealized validates realized_returns (spec §2.7, D20) and returns it
// normalized: keys trimmed, elements as floats. Messages are QMTL's.
func parseRealized(v *value) (*events.RealizedReturns, string) {
	switch v.kind {
	case kindObject:
		out := make(map[string][]float64, len(v.obj))
		total := 0
		for i := range v.obj {
			key := pyStrip(v.obj[i].name)
			if key == "" {
				return nil, "realized_returns keys must be non-empty strings"
			}
			series, msg := parseSeries(&v.obj[i].val, "realized_returns["+key+"]")
			if msg != "" {
				return nil, msg
			}
			if len(series) > MaxSeriesPoints {
				return nil, fmt.Sprintf("realized_returns series too long for '%s'", key)
			}
			total += len(series)
			if total > MaxTotalPoints {
				return nil, "realized_returns total points exceed limit"
			}
			// Two keys equal after trimming: the later wins, as in QMTL.
			out[key] = series
		}
		if len(out) == 0 {
			return nil, "realized_returns must be non-empty when provided"
		}
		return &events.RealizedReturns{ByStrategy: out}, ""
	case kindArray:
		series, msg := parseSeries(v, "realized_returns")
		if msg != "" {
			return nil, msg
		}
		if len(series) > MaxTotalPoints {
			return nil, "realized_returns series too long"
		}
		return &events.RealizedReturns{Series: series}, ""
	}
	return nil, "realized_returns must be a mapping[str, sequence[float]] or a sequence[float]"
}

// parseSeries validates one series: an array of finite JSON numbers, not
// empty.
func parseSeries(v *value, context string) ([]float64, string) {
	if v.kind != kindArray {
		return nil, context + " must be a sequence of finite floats"
	}
	out := make([]float64, 0, len(v.arr))
	for i := range v.arr {
		e := &v.arr[i]
		switch {
		case e.kind == kindBool:
			return nil, context + " contains invalid boolean value"
		case e.kind != kindNumber:
			return nil, context + " contains non-numeric value"
		}
		f, ok := e.float()
		if !ok {
			return nil, context + " contains non-finite value"
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, context + " must be non-empty"
	}
	return out, ""
}

// pyStrip trims white space as Python's str.strip() does: Go's
// unicode.IsSpace plus the information separators U+001C..U+001F, which
// Python also counts as white space.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
	})
}
