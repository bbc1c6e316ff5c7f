package extended

import (
	"encoding/json"
	"testing"
)

// TestIncrementalSpecExample is QMTL's test
// test_incremental_var_es_uses_active_snapshot_covariance, quoted in spec
// §3.5.2: w = {s-live: 1}, Σ(s-live) = 1e-4, Σ(s-cand) = 4e-4, Σ(s-live,
// s-cand) = 5e-5, α0 = 1/2. Baseline VaR = 2.33·0.01 = 0.0233; with the
// candidate σ² = 0.25e-4 + 0.25·4e-4 + 2·0.25·5e-5 = 1.5e-4, VaR =
// 0.0285366, ΔVaR = 0.0052366 and ΔES = 0.0062839 (the spec's figures).
func TestIncrementalSpecExample(t *testing.T) {
	cov := map[string]float64{"s-live,s-live": 1e-4, "s-cand,s-cand": 4e-4, "s-live,s-cand": 5e-5}
	h := NewHub(map[string]float64{"s-live": 1}, cov, []string{"s-cand"}, Params{Z: 2.33, ESFactor: 1.2})
	b, ok := h.Baseline()
	if !ok {
		t.Fatal("no baseline")
	}
	near(t, "baseline VaR", b.VaR99, 0.0233)
	near(t, "baseline ES", b.ES99, 1.2*0.0233)
	alpha := CandidateWeight(nil, h.Len())
	near(t, "alpha", alpha, 0.5)
	d, ok := h.Incremental("s-cand", alpha, 0)
	if !ok {
		t.Fatal("no incremental risk")
	}
	near(t, "ΔVaR", d.VaR99, 0.005236555503424025)
	near(t, "ΔES", d.ES99, 0.006283866604108828)
	if round(d.VaR99, 7) != 0.0052366 || round(d.ES99, 7) != 0.0062839 {
		t.Errorf("rounded Δ = %v, %v; the spec prints 0.0052366, 0.0062839", round(d.VaR99, 7), round(d.ES99, 7))
	}
}

func round(x float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	if x < 0 {
		return -float64(int64(-x*p+0.5)) / p
	}
	return float64(int64(x*p+0.5)) / p
}

// twoAssets is a hand-worked two-strategy portfolio: σa = 0.02 (Σaa =
// 4e-4), σb = 0.01 (Σbb = 1e-4), correlation 0.5 (Σab = 0.5·0.02·0.01 =
// 1e-4), weights 0.6 and 0.4.
//
//	σp² = 0.36·4e-4 + 0.16·1e-4 + 2·0.6·0.4·1e-4 = 1.44e-4 + 0.16e-4 + 0.48e-4 = 2.08e-4
//	σp  = 0.0144222051…, VaR99 = 2.33·σp = 0.0336037379, ES99 = 1.2·VaR99 = 0.0403244855
func twoAssets(offDiagonal bool, rho float64) *Hub {
	cov := map[string]float64{"a,a": 4e-4, "b:b": 1e-4}
	if offDiagonal {
		cov["b,a"] = 1e-4
	}
	return NewHub(map[string]float64{"a": 0.6, "b": 0.4}, cov, nil, Params{Z: 2.33, ESFactor: 1.2, DefaultCorrelation: rho})
}

func TestBaselineTwoAssets(t *testing.T) {
	b, ok := twoAssets(true, 0).Baseline()
	if !ok {
		t.Fatal("no baseline")
	}
	near(t, "VaR99", b.VaR99, 0.03360373788732438)
	near(t, "ES99", b.ES99, 0.040324485464789256)

	// Without the off-diagonal entry, ρ = 0.5 stands in for it (O2): the
	// same covariance, the same figures.
	b, _ = twoAssets(false, 0.5).Baseline()
	near(t, "VaR99 with the default correlation", b.VaR99, 0.03360373788732438)

	// ρ = 0 is QMTL: the missing entry contributes nothing.
	//   σp² = 1.44e-4 + 0.16e-4 = 1.6e-4, VaR99 = 2.33·0.0126491106 = 0.0294724278
	b, _ = twoAssets(false, 0).Baseline()
	near(t, "VaR99 without the entry", b.VaR99, 0.029472427792769297)
}

// TestLeaveOneOut: removing a leaves b alone (σ = 0.01, VaR = 0.0233), so
// Δa = 0.0336037379 − 0.0233 = 0.0103037379; removing b leaves a (σ =
// 0.02, VaR = 0.0466), so Δb = 0.0336037379 − 0.0466 = −0.0129962621: b
// diversifies the portfolio. ΔES scales by 1.2.
func TestLeaveOneOut(t *testing.T) {
	h := twoAssets(true, 0)
	da, ok := h.LeaveOneOut("a")
	if !ok {
		t.Fatal("no leave-one-out for a")
	}
	near(t, "ΔVaR a", da.VaR99, 0.010303737887324381)
	near(t, "ΔES a", da.ES99, 0.012364485464789257)
	db, _ := h.LeaveOneOut("b")
	near(t, "ΔVaR b", db.VaR99, -0.01299626211267562)
	if _, ok := h.LeaveOneOut("c"); ok {
		t.Error("leave-one-out of a strategy the hub does not hold")
	}
	if _, ok := h.Incremental("a", 0.5, 0); ok {
		t.Error("incremental risk of a held strategy")
	}
	alone := NewHub(map[string]float64{"a": 1}, map[string]float64{"a,a": 4e-4}, nil, DefaultParams())
	d, _ := alone.LeaveOneOut("a")
	near(t, "ΔVaR of the only strategy", d.VaR99, 2.33*0.02)
}

// TestIncrementalEstimatedSigma: the covariance has no diagonal for c, so
// its σ comes from var_p01/2.33 = 0.0466/2.33 = 0.02 and its covariance
// with b from ρ = 0.5: 0.5·0.02·0.01 = 1e-4 (O1, O2). w = {b: 1}, α = 0.5:
//
//	σ² = 0.25·1e-4 + 0.25·4e-4 + 2·0.25·1e-4 = 1.75e-4, VaR = 2.33·0.0132287566 = 0.0308230028
//	ΔVaR = 0.0308230028 − 0.0233 = 0.0075230028
func TestIncrementalEstimatedSigma(t *testing.T) {
	h := NewHub(map[string]float64{"b": 1}, map[string]float64{"b,b": 1e-4}, []string{"c"}, DefaultParams())
	if _, ok := h.Incremental("c", 0.5, 0); ok {
		t.Fatal("incremental risk without a diagonal or an estimate")
	}
	d, ok := h.Incremental("c", 0.5, 0.0466/2.33)
	if !ok {
		t.Fatal("no incremental risk with an estimated σ")
	}
	near(t, "ΔVaR", d.VaR99, 0.007523002773902478)
}

// TestMatrixLookupOrder checks QMTL's look-up order "a,b", "b,a", "a:b",
// "b:a": an asymmetric map is read as QMTL reads it, whatever order the
// map is walked in.
func TestMatrixLookupOrder(t *testing.T) {
	m := NewMatrix([]string{"a", "b", "x,y", "z"}, map[string]float64{
		"a,b": 1, "b,a": 2, "a:b": 3, "b:b": 4, "x,y,z": 5, "a:a": 6, "a,a": 7,
	})
	for _, c := range []struct {
		a, b string
		want float64
		ok   bool
	}{
		{"a", "b", 1, true}, {"b", "a", 2, true}, {"b", "b", 4, true}, {"a", "a", 7, true},
		{"x,y", "z", 5, true}, {"z", "x,y", 5, true}, {"a", "z", 0, false}, {"q", "a", 0, false},
	} {
		got, ok := m.Lookup(c.a, c.b)
		if ok != c.ok || got != c.want {
			t.Errorf("lookup(%s, %s) = %v, %v; want %v, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}

func TestNoBaseline(t *testing.T) {
	for name, h := range map[string]*Hub{
		"no covariance":   NewHub(map[string]float64{"a": 1}, nil, nil, DefaultParams()),
		"no weights":      NewHub(nil, map[string]float64{"a,a": 1e-4}, nil, DefaultParams()),
		"weights sum ≤ 0": NewHub(map[string]float64{"a": 0.5, "b": -0.5}, map[string]float64{"a,a": 1e-4}, nil, DefaultParams()),
		"negative σ²":     NewHub(map[string]float64{"a": 1}, map[string]float64{"a,a": -1e-4}, nil, DefaultParams()),
	} {
		if _, ok := h.Baseline(); ok {
			t.Errorf("%s: a baseline", name)
		}
	}
}

func TestCandidateWeight(t *testing.T) {
	for _, c := range []struct {
		constraints string
		want        float64
	}{
		{``, 0.25},
		{`{"candidate_weight": 0.1, "candidate_weight_default": 0.2}`, 0.1},
		{`{"candidate_weight_default": 0.2, "candidate_weight_pct": 30}`, 0.2},
		{`{"candidate_weight_pct": 30}`, 0.3},
		{`{"candidate_weight": 1.5, "candidate_weight_default": 0.2}`, 0.25}, // invalid: no fall-through
		{`{"candidate_weight": "0.3"}`, 0.25},
		{`{"candidate_weight": null, "candidate_weight_pct": 50}`, 0.5},
		{`{"candidate_weight_pct": "x"}`, 0.25},
		{`{"candidate_weight": 0}`, 0.25},
		{`[1]`, 0.25},
	} {
		near(t, "α of "+c.constraints, CandidateWeight(json.RawMessage(c.constraints), 3), c.want)
	}
}
