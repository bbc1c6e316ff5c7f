package metrics

import "math"

// Clean returns the finite elements of raw in order, dropping NaN and ±Inf
// (validation-core §4.1 cleaning; nulls and non-numbers are represented as NaN
// by [SeriesReturns]). It never returns raw itself, so callers may keep both.
func Clean(raw []float64) []float64 {
	out := make([]float64, 0, len(raw))
	for _, x := range raw {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// SeriesReturns selects the return series of an evaluate request's series
// object {returns?, pnl?, equity?} (validation-core §4.1): the first non-empty
// array of returns, then pnl (treated as returns), then equity with at least two
// points converted to absolute differences e_t − e_{t−1}. It reports false when
// none qualifies, meaning the run carries no series.
//
// Elements of returns and pnl that are null, booleans, strings or other
// non-numbers are returned as NaN so that [Clean] drops them and positions are
// kept. Equity levels are cleaned first and differences are taken between
// consecutive remaining levels, so a missing level folds its move into the next
// difference instead of losing it.
func SeriesReturns(series map[string]any) ([]float64, bool) {
	for _, key := range []string{"returns", "pnl"} {
		if xs, ok := numbers(series[key]); ok && len(xs) > 0 {
			return xs, true
		}
	}
	levels, ok := numbers(series["equity"])
	if !ok || len(levels) < 2 {
		return nil, false
	}
	levels = Clean(levels)
	out := make([]float64, 0, len(levels))
	for i := 1; i < len(levels); i++ {
		out = append(out, levels[i]-levels[i-1])
	}
	return out, true
}

// numbers converts a decoded JSON array ([]any) or a []float64 into floats,
// with NaN for every element that is not a finite number. It reports false when
// v is not an array.
func numbers(v any) ([]float64, bool) {
	switch arr := v.(type) {
	case []float64:
		return append([]float64(nil), arr...), true
	case []any:
		out := make([]float64, len(arr))
		for i, e := range arr {
			x, ok := Number(e)
			if !ok {
				x = math.NaN()
			}
			out[i] = x
		}
		return out, true
	}
	return nil, false
}
