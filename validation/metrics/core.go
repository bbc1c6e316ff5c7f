package metrics

import "math"

// opt is an optional float64: ok is false for null.
type opt struct {
	v  float64
	ok bool
}

// some wraps x, which is null when it is not finite (CD4).
func some(x float64) opt {
	v, ok := finite(x)
	return opt{v, ok}
}

// coreMetrics are the values of validation-core §4.3 for one cleaned series.
type coreMetrics struct {
	sharpe, maxDrawdown                    opt
	gainToPain, timeUnderWater             opt
	years, tradesTotal, tradesPerYear      opt
	dsr, sharpeFirstHalf, sharpeSecondHalf opt
	// stdErr is σ_SR of §4.3.9, reused by the PSR of §4.5.6.
	stdErr opt
	// moments of the gross returns, reused by the optional metrics of §4.10.
	moments   Moments
	momentsOK bool
}

// excessReturns returns y_t = (r_t − tc) − rf (validation-core §4.2); it is r
// itself when both parameters are zero (see [Params.gross]).
func excessReturns(r []float64, p Params) []float64 {
	if p.gross() {
		return r
	}
	y := make([]float64, len(r))
	for i, x := range r {
		y[i] = (x - p.TransactionCost) - p.RiskFreeRate
	}
	return y
}

// computeCore derives the core metrics of the cleaned gross series r with N
// trials and the cross-trial standard deviation sigmaT (σ_SR when absent).
func computeCore(r []float64, p Params, trials int64, sigmaT opt) coreMetrics {
	var c coreMetrics
	n := len(r)
	y := excessReturns(r, p)

	// One pass of moments serves both the Sharpe ratio (on y) and the DSR
	// moments (on r) when y is r.
	mr := centralMoments(r, true)
	my := mr
	if !p.gross() {
		my = centralMoments(y, false)
	}
	c.sharpe = some(my.sharpe())
	c.maxDrawdown = some(netMaxDrawdown(r, p.TransactionCost))
	c.gainToPain = gainToPain(r)
	if n > 0 {
		c.timeUnderWater = some(float64(underWater(r).periods) / float64(n))
		c.tradesTotal = some(float64(n)) // periods, not fills (§4.3.6)
	}
	if ppy := p.ppy(); n > 0 && ppy > 0 {
		c.years = some(float64(n) / ppy)
		if c.years.ok {
			c.tradesPerYear = some(float64(n) / c.years.v)
		}
	}

	m := n / 2
	c.sharpeFirstHalf = some(Sharpe(y[:m]))
	c.sharpeSecondHalf = some(Sharpe(y[m:]))

	// §4.3.9: moments of the gross returns, Sharpe of the excess returns (the
	// 0.0 fallback included; the moment test then yields null).
	c.moments, c.momentsOK = mr.shape()
	if c.momentsOK && c.sharpe.ok {
		if se, ok := SharpeStdErr(c.sharpe.v, c.moments.Skew, c.moments.Kurt, n); ok {
			c.stdErr = opt{se, true}
			st := se
			if sigmaT.ok {
				st = sigmaT.v
			}
			v, ok := DeflatedSharpe(c.sharpe.v, se, st, trials)
			c.dsr = opt{v, ok}
		}
	}
	return c
}

// netMaxDrawdown returns |min(0, min_t(E'_t − P'_t))| for the net returns
// r_t − tc with additive equity and the peak starting at 0 (validation-core
// §4.3.2); 0 for an empty series.
func netMaxDrawdown(r []float64, tc float64) float64 {
	var equity, peak, worst float64
	for _, x := range r {
		equity += x - tc
		if equity > peak {
			peak = equity
		}
		if d := equity - peak; d < worst {
			worst = d
		}
	}
	return math.Abs(worst)
}

// gainToPain returns Σr / |Σ_{r<0} r| (validation-core §4.3.3), null when no
// period lost.
func gainToPain(r []float64) opt {
	var total, losses ksum
	for _, x := range r {
		total.add(x)
		if x < 0 {
			losses.add(x)
		}
	}
	v, ok := ratio(total.value(), math.Abs(losses.value()))
	return opt{v, ok}
}

// underWaterStats are the under-water statistics of gross additive equity.
type underWaterStats struct {
	periods int // periods with E_t < P_t
	longest int // longest run of consecutive under-water periods
}

// underWater walks the gross equity E_t = r_1 + … + r_t against the running peak
// P_t = max(0, E_1, …, E_t) (validation-core §4.3.4, §4.5.3).
func underWater(r []float64) underWaterStats {
	var s underWaterStats
	var equity, peak float64
	run := 0
	for _, x := range r {
		equity += x
		if equity < peak {
			s.periods++
			run++
			s.longest = max(s.longest, run)
		} else {
			peak = equity
			run = 0
		}
	}
	return s
}

// write fills the core metrics into f in the order of validation-core §4.3.
func (c *coreMetrics) write(f *filler) {
	f.num(c.sharpe.v, c.sharpe.ok, "returns", "sharpe")
	f.num(c.maxDrawdown.v, c.maxDrawdown.ok, "returns", "max_drawdown")
	f.num(c.gainToPain.v, c.gainToPain.ok, "returns", "gain_to_pain_ratio")
	f.num(c.timeUnderWater.v, c.timeUnderWater.ok, "returns", "time_under_water_ratio")
	f.num(c.years.v, c.years.ok, "sample", "effective_history_years")
	f.num(c.tradesTotal.v, c.tradesTotal.ok, "sample", "n_trades_total")
	f.num(c.tradesPerYear.v, c.tradesPerYear.ok, "sample", "n_trades_per_year")
	f.num(c.dsr.v, c.dsr.ok, "robustness", "deflated_sharpe_ratio")
	f.num(c.sharpeFirstHalf.v, c.sharpeFirstHalf.ok, "robustness", "sharpe_first_half")
	f.num(c.sharpeSecondHalf.v, c.sharpeSecondHalf.ok, "robustness", "sharpe_second_half")
	f.num(1, true, "diagnostics", "search_intensity")
}
