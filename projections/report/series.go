package report

import (
	"encoding/json"
	"math"

	"github.com/worldval/worldval/events"
)

// defaultPeriodsPerYear is ppy when the submission does not set it
// (validation-core §4.1).
const defaultPeriodsPerYear = 252

// seriesParams are the derivation parameters of a submission.
type seriesParams struct {
	PeriodsPerYear  *float64 `json:"periods_per_year"`
	RiskFreeRate    *float64 `json:"risk_free_rate"`
	TransactionCost *float64 `json:"transaction_cost"`
}

// minRollingPeriods is the shortest series with a rolling Sharpe chart.
const minRollingPeriods = 20

// charts computes the chart series of a submission's returns with the
// metric definitions of validation-core §4.2–§4.3: net returns x = r − tc,
// excess returns y = x − rf, net equity E' = Σx, drawdown E' − P' with the
// peak starting at 0, and a rolling per-period Sharpe mean(y)/sd(y)
// (population sd) over a quarter of a year of periods (63 on daily bars, a
// quarter of the series when that is shorter). Nil when the submission has
// no returns.
func charts(sub *events.EvaluationRunSubmitted) *Charts {
	if sub == nil || sub.Returns == nil {
		return nil
	}
	var p seriesParams
	if len(sub.Params) > 0 {
		_ = json.Unmarshal(sub.Params, &p) // the submission was validated; unknown keys do not matter here
	}
	ppy, rf, tc := float64(defaultPeriodsPerYear), 0.0, 0.0
	if p.PeriodsPerYear != nil && *p.PeriodsPerYear > 0 {
		ppy = *p.PeriodsPerYear
	}
	if p.RiskFreeRate != nil {
		rf = *p.RiskFreeRate
	}
	if p.TransactionCost != nil {
		tc = *p.TransactionCost
	}
	r := make([]float64, 0, len(sub.Returns))
	for _, x := range sub.Returns {
		if x != nil && !math.IsNaN(*x) && !math.IsInf(*x, 0) {
			r = append(r, *x)
		}
	}
	c := &Charts{N: len(r), PeriodsPerYear: ppy, Equity: make([]float64, len(r)), Drawdown: make([]float64, len(r))}
	eq, peak := 0.0, 0.0
	for i, x := range r {
		eq += x - tc
		peak = math.Max(peak, eq)
		c.Equity[i], c.Drawdown[i] = eq, eq-peak
		c.MaxDrawdown = math.Max(c.MaxDrawdown, peak-eq)
	}
	c.FinalEquity = eq
	if len(r) >= minRollingPeriods {
		c.Window = min(int(math.Round(ppy/4)), len(r)/4)
		c.Window = max(c.Window, 5)
		c.RollingSharpe = rollingSharpe(r, c.Window, rf+tc)
	}
	return c
}

// rollingSharpe is mean/sd of r − shift over each trailing window of w
// periods (0 when the window's sd is 0, as §4.3.1 says), each window
// computed afresh (two passes, as the core metrics are) rather than with
// running sums, so the values do not drift over long series.
func rollingSharpe(r []float64, w int, shift float64) []float64 {
	out := make([]float64, 0, len(r)-w+1)
	for end := w; end <= len(r); end++ {
		win := r[end-w : end]
		mean := 0.0
		for _, x := range win {
			mean += x - shift
		}
		mean /= float64(w)
		ss := 0.0
		for _, x := range win {
			d := x - shift - mean
			ss += d * d
		}
		sd := math.Sqrt(ss / float64(w))
		s := 0.0
		if sd > 1e-15*math.Max(1, math.Abs(mean)) {
			s = mean / sd
		}
		out = append(out, s)
	}
	return out
}
