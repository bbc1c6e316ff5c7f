package metrics

import (
	"math"
	"testing"
)

// TestDeflatedSharpePaperExample reproduces the numerical example of Bailey &
// López de Prado (2014), "The Deflated Sharpe Ratio: Correcting for Selection
// Bias, Backtest Overfitting and Non-Normality", J. Portfolio Management 40(5):
// after N = 100 trials whose Sharpe ratios have variance ½ (annualised), the
// best strategy has an annualised SR of 2.5 over T = 1250 daily observations
// (250 a year) with skewness −3 and kurtosis 10. The paper gives the expected
// maximum SR0 ≈ 0.1132 and DSR ≈ 0.9004 (per-period units); the intermediate
// figures are those of validation-core §4.3.9.
func TestDeflatedSharpePaperExample(t *testing.T) {
	const (
		periods = 250.0
		T       = 1250
		trials  = 100
	)
	sr := 2.5 / math.Sqrt(periods)
	trialStd := math.Sqrt(0.5 / periods)
	near(t, "SR per period", sr, 0.158114, 5e-7)
	near(t, "σ_T", trialStd, 0.044721, 5e-7)

	sr0 := DeflatedSharpeThreshold(trialStd, trials)
	near(t, "SR0 (paper)", sr0, 0.1132, 5e-5)
	near(t, "SR0 (spec)", sr0, 0.113172, 5e-7)

	se, ok := SharpeStdErr(sr, -3, 10, T)
	if !ok {
		t.Fatal("SharpeStdErr: not ok")
	}
	near(t, "σ_SR", se, 0.035006, 5e-7)
	near(t, "z", (sr-sr0)/se, 1.28381, 1e-5) // printed truncated

	dsr, ok := DeflatedSharpe(sr, se, trialStd, trials)
	if !ok {
		t.Fatal("DeflatedSharpe: not ok")
	}
	near(t, "DSR (paper)", dsr, 0.9004, 5e-5)
}

// The mlfinlab figures below come from hudson-and-thames/mlfinlab,
// mlfinlab/tests/test_backtest_statistics.py (numerical examples with
// SR = 1.14, SR* = 1, T = 250, skewness 0, kurtosis 3, α = 0.05). mlfinlab
// asserts them to 1e-4; they are printed truncated to five decimals, so one
// unit of the last printed digit is used here.

// TestMlfinlabProbabilisticSharpe: probabalistic_sharpe_ratio(1.14, 1, 250, 0,
// 3) = 0.95727.
func TestMlfinlabProbabilisticSharpe(t *testing.T) {
	se, ok := SharpeStdErr(1.14, 0, 3, 250)
	if !ok {
		t.Fatal("SharpeStdErr: not ok")
	}
	psr, ok := ProbabilisticSharpe(1.14, 1, se)
	if !ok {
		t.Fatal("ProbabilisticSharpe: not ok")
	}
	near(t, "PSR", psr, 0.95727, 1e-5)
}

// TestMlfinlabDeflatedSharpe: deflated_sharpe_ratio(1.14, [3.5, 1.01, 1.02],
// 250, 0, 3) = 0.95836, where the cross-trial dispersion is the population
// standard deviation of the three trial Sharpe ratios and N = 3.
func TestMlfinlabDeflatedSharpe(t *testing.T) {
	trialSRs := []float64{3.5, 1.01, 1.02}
	se, ok := SharpeStdErr(1.14, 0, 3, 250)
	if !ok {
		t.Fatal("SharpeStdErr: not ok")
	}
	dsr, ok := DeflatedSharpe(1.14, se, math.Sqrt(variance(trialSRs)), int64(len(trialSRs)))
	if !ok {
		t.Fatal("DeflatedSharpe: not ok")
	}
	near(t, "DSR", dsr, 0.95836, 1e-5)
}

// TestMlfinlabMinTrackRecordLength: minimum_track_record_length(1.14, 1, 0, 3,
// 0.05) = 228.73497 periods.
func TestMlfinlabMinTrackRecordLength(t *testing.T) {
	got, ok := MinTrackRecordLength(1.14, 1, 0, 3, 0.05)
	if !ok {
		t.Fatal("MinTrackRecordLength: not ok")
	}
	near(t, "MinTRL", got, 228.73497, 1e-5)

	if _, ok := MinTrackRecordLength(1, 1, 0, 3, 0.05); ok {
		t.Error("MinTRL with SR = SR* must be null")
	}
	if _, ok := MinTrackRecordLength(1.14, 1, 0, 3, 0); ok {
		t.Error("MinTRL with alpha = 0 must be null")
	}
}

// TestMlfinlabSharpe: sharpe_ratio(r, entries_per_year=12, risk_free_rate=0.005)
// = 0.987483 for the nine returns of mlfinlab's fixture. mlfinlab annualises
// with the sample (ddof 1) standard deviation; the spec's per-period Sharpe
// uses the population one, so the published figure equals
// sharpe·√((n−1)/n)·√12.
func TestMlfinlabSharpe(t *testing.T) {
	r := []float64{0.03, 0.02, 0.01, -0.01, 0.02, 0.01, 0.0, -0.01, 0.01}
	doc := mustDerive(t, nil, r, Params{RiskFreeRate: 0.005})
	sr := mustGet(t, doc, "returns", "sharpe")
	n := float64(len(r))
	near(t, "annualised sample Sharpe", sr*math.Sqrt((n-1)/n)*math.Sqrt(12), 0.987483, 1e-6)
}

// TestDSRDecreasesWithTrials guards against CD2: with QMTL's sign error the DSR
// jumped to ≈1 from N = 16 on. With a correct Φ⁻¹ it decreases with N.
func TestDSRDecreasesWithTrials(t *testing.T) {
	prev := 2.0
	for _, n := range []int64{1, 2, 5, 15, 16, 17, 100, 1000, 1 << 40} {
		dsr, ok := DeflatedSharpe(0.1, 0.05, 0.05, n)
		if !ok {
			t.Fatalf("DSR(N=%d): not ok", n)
		}
		if !(dsr < prev) {
			t.Errorf("DSR(N=%d) = %v, not below DSR at fewer trials %v", n, dsr, prev)
		}
		prev = dsr
	}
}
