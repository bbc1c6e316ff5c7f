package metrics

import (
	"fmt"
	"math"
)

// DefaultPeriodsPerYear is the number of return periods per year assumed when
// [Params.PeriodsPerYear] is zero: 252 trading days (QMTL never uses another).
const DefaultPeriodsPerYear = 252

// maxTrials caps the trial count so that it fits an int64 comfortably. Any count
// above 2^53 already makes 1 − 1/N round to 1 and the DSR undefined.
const maxTrials = 1 << 62

// Params are the run-level parameters of the series derivations
// (validation-core §4.1). The zero value is valid and means the defaults.
type Params struct {
	// PeriodsPerYear is the number of return periods in a year (252 for daily
	// equity bars, 365 for daily crypto, 8760 for hourly crypto). Zero means
	// [DefaultPeriodsPerYear]. It scales effective_history_years,
	// n_trades_per_year and the annualised cross-validation Sharpe ratios.
	PeriodsPerYear float64
	// RiskFreeRate is the risk-free return per period (not annualised), in
	// decimal form; it is subtracted from the net return for Sharpe ratios.
	RiskFreeRate float64
	// TransactionCost is the cost per period in decimal return units; it is
	// subtracted from every gross return before the Sharpe ratios and the
	// drawdown are computed.
	TransactionCost float64
	// OptionalMetrics also derives the metrics that QMTL declares but never
	// computes (validation-core §4.10): returns.sortino_ratio (per period),
	// returns.sharpe_annualized (× √PeriodsPerYear) and
	// robustness.min_track_record_length (in periods, α = 0.05, SR* = 0). They
	// are off by default so that stored documents match the reference.
	OptionalMetrics bool
}

// ppy returns the effective periods per year.
func (p Params) ppy() float64 {
	if p.PeriodsPerYear == 0 {
		return DefaultPeriodsPerYear
	}
	return p.PeriodsPerYear
}

// gross reports whether excess returns equal gross returns (rf = tc = 0).
func (p Params) gross() bool {
	return p.TransactionCost == 0 && p.RiskFreeRate == 0
}

// Validate reports an error when a parameter is not a finite number or
// PeriodsPerYear is negative.
func (p Params) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"periods_per_year", p.PeriodsPerYear},
		{"risk_free_rate", p.RiskFreeRate},
		{"transaction_cost", p.TransactionCost},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("metrics: %s must be a finite number, got %v", f.name, f.v)
		}
	}
	if p.PeriodsPerYear < 0 {
		return fmt.Errorf("metrics: periods_per_year must not be negative, got %v", p.PeriodsPerYear)
	}
	return nil
}

// Trials returns the DSR trial count N of a structured metrics document:
// max(1, trunc(diagnostics.search_intensity)) when that is a finite number, else 1
// (validation-core §4.1, spec-decision). Booleans and strings are not numbers.
func Trials(doc map[string]any) int64 {
	diag, _ := doc["diagnostics"].(map[string]any)
	x, ok := Number(diag["search_intensity"])
	if !ok {
		return 1
	}
	t := math.Trunc(x)
	switch {
	case t < 1:
		return 1
	case t > maxTrials:
		return maxTrials
	}
	return int64(t)
}

// trialStd returns σ_T from the optional extension input
// diagnostics.extra_metrics.trial_sharpe_variance (per-period variance of the
// trial Sharpe ratios) when it is a positive finite number.
func trialStd(doc map[string]any) (float64, bool) {
	diag, _ := doc["diagnostics"].(map[string]any)
	extra, _ := diag["extra_metrics"].(map[string]any)
	v, ok := Number(extra["trial_sharpe_variance"])
	if !ok || !(v > 0) {
		return 0, false
	}
	return math.Sqrt(v), true
}
