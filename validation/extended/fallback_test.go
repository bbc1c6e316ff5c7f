package extended

import "testing"

// TestFallback: two active peers without hub covariance. a has Sharpe 1.0
// and risk.incremental_var_99 = 0.0466 (σ = 0.0466/2.33 = 0.02); b has
// Sharpe 0.5 and only returns.max_drawdown = −0.0233 (σ = 0.01). ω = 1.
//
//	S̄ = (1.0 + 0.5)/2 = 0.75
//	ŵ = 1/2 each; with ρ = 0.5: σp² = 0.25·4e-4 + 0.25·1e-4 + 2·0.25·0.02·0.01·0.5 = 1.75e-4
//	VaR = 2.33·0.0132287566 = 0.0308230028, ES = 1.2·VaR = 0.0369876033
//	with ρ = 0 (QMTL): σp² = 1.25e-4, VaR = 2.33·0.0111803399 = 0.0260501919
func TestFallback(t *testing.T) {
	peers := []Peer{
		{ID: "b", Sharpe: f64(0.5), MaxDrawdown: f64(-0.0233)},
		{ID: "a", Sharpe: f64(1.0), IncrementalVaR99: f64(0.0466)},
		{ID: "cand", Sharpe: f64(9), IncrementalVaR99: f64(1)},
	}
	fb := NewFallback(peers, Correlations{}, DefaultParams(), "cand")
	if fb.Sharpe == nil || fb.VaR99 == nil || fb.ES99 == nil || fb.WeightSum == nil {
		t.Fatalf("fallback %+v", fb)
	}
	near(t, "Sharpe", *fb.Sharpe, 0.75)
	near(t, "VaR", *fb.VaR99, 0.03082300277390248)
	near(t, "ES", *fb.ES99, 0.03698760332868297)
	near(t, "Ω", *fb.WeightSum, 2)
	if fb.Count != 2 {
		t.Errorf("count %d", fb.Count)
	}
	p := DefaultParams()
	p.DefaultCorrelation = 0
	fb = NewFallback(peers, Correlations{}, p, "cand")
	near(t, "VaR with ρ = 0", *fb.VaR99, 0.02605019193787255)

	// A recorded correlation wins over the default: ρab = 0.5 again.
	corr := Correlations{}
	corr.Set("b", "a", 0.5)
	fb = NewFallback(peers, corr, p, "cand")
	near(t, "VaR with a recorded ρ", *fb.VaR99, 0.03082300277390248)

	// Only drawdowns of zero: no σ, and the additive sums are zero.
	fb = NewFallback([]Peer{{ID: "z", MaxDrawdown: f64(0)}}, nil, p, "")
	if fb.VaR99 != nil || fb.Sharpe != nil {
		t.Errorf("degenerate fallback %+v", fb)
	}
	if fb = NewFallback(nil, nil, p, ""); fb.Count != 0 || fb.VaR99 != nil {
		t.Errorf("empty fallback %+v", fb)
	}
}
