package extended

import (
	"math"
	"sort"
)

// Params are the constants of the portfolio layer (spec §3.5).
type Params struct {
	// Z is the one-sided 99 % normal quantile of VaR99 = Z·σp. QMTL uses
	// 2.33 (the exact value is 2.3263; O15 keeps it, as configuration).
	Z float64
	// ESFactor is ES99/VaR99. QMTL uses 1.2 (the normal ratio is ≈ 1.1456;
	// O15).
	ESFactor float64
	// DefaultCorrelation ρ stands in for a missing off-diagonal covariance
	// entry, as ρ·σa·σb when both diagonals are known, and for a missing
	// pairwise correlation in the fallback baseline (O2). 0 reproduces
	// QMTL, where a missing entry contributes nothing.
	DefaultCorrelation float64
}

// DefaultParams returns Z = 2.33, ESFactor = 1.2 and DefaultCorrelation =
// 0.5, the recommendation of O2.
func DefaultParams() Params { return Params{Z: 2.33, ESFactor: 1.2, DefaultCorrelation: 0.5} }

// Risk is a portfolio's 99 % value at risk and expected shortfall, losses in
// return units (≥ 0, per period like the covariance they come from).
type Risk struct {
	// VaR99 is the 99 % value at risk.
	VaR99 float64
	// ES99 is the 99 % expected shortfall.
	ES99 float64
}

// Hub is the portfolio of one risk snapshot: its weights over the strategies
// it holds and its covariance, read once, ready for the baseline and for the
// incremental risk of many candidates. Build it with [NewHub]; it is
// immutable afterwards and safe for concurrent use.
type Hub struct {
	p Params
	m *Matrix
	// held are the matrix positions of the weight keys in ascending key
	// order, the summation order of every quadratic form (the payload
	// order QMTL sums in is not kept by the event; D2 sums weights in
	// ascending key order too); weights is parallel to held.
	held    []int
	weights []float64
	heldAt  map[int]int // matrix position → index in held
	// eff is the effective covariance, row-major over the matrix
	// positions: the entry when present, else ρ·σa·σb off the diagonal
	// when both diagonals are known, else 0.
	eff []float64
	// sigma is √Σaa where the diagonal is present and ≥ 0, else NaN.
	sigma    []float64
	baseline Risk
	hasBase  bool
}

// NewHub reads the portfolio of a snapshot: weights (every key counts, zero
// weights included), the covariance map, and the candidates whose
// incremental risk will be asked for (strategies not in weights get a row
// and a column of the matrix; the others are ignored). The baseline of
// §3.5.1 is computed at once; it is absent when weights or covariance are
// empty, the weights sum to ≤ 0, or the variance is negative.
func NewHub(weights, cov map[string]float64, candidates []string, p Params) *Hub {
	ids := make([]string, 0, len(weights)+len(candidates))
	for id := range weights {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	nHeld := len(ids)
	extra := make([]string, 0, len(candidates))
	for _, c := range candidates {
		if _, held := weights[c]; !held {
			extra = append(extra, c)
		}
	}
	sort.Strings(extra)
	for i, c := range extra {
		if i == 0 || c != extra[i-1] {
			ids = append(ids, c)
		}
	}
	h := &Hub{p: p, m: NewMatrix(ids, cov), held: make([]int, nHeld), weights: make([]float64, nHeld), heldAt: make(map[int]int, nHeld)}
	for i := 0; i < nHeld; i++ {
		h.held[i], h.weights[i], h.heldAt[i] = i, weights[ids[i]], i
	}
	n := h.m.n
	h.sigma = make([]float64, n)
	for i := 0; i < n; i++ {
		h.sigma[i] = math.NaN()
		if v, ok := h.m.At(i, i); ok && v >= 0 {
			h.sigma[i] = math.Sqrt(v)
		}
	}
	h.eff = make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			h.eff[i*n+j] = h.fill(i, j, h.sigma[i])
		}
	}
	if len(weights) > 0 && len(cov) > 0 {
		if v, ok := h.variance(h.held, h.weights, nil); ok {
			h.baseline, h.hasBase = h.risk(v), true
		}
	}
	return h
}

// fill returns the effective covariance of positions (i, j) when the
// standard deviation of i is sigmaI: the entry, else ρ·σi·σj off the
// diagonal, else 0.
func (h *Hub) fill(i, j int, sigmaI float64) float64 {
	if v, ok := h.m.At(i, j); ok {
		return v
	}
	if i == j || h.p.DefaultCorrelation == 0 || math.IsNaN(sigmaI) || math.IsNaN(h.sigma[j]) {
		return 0
	}
	return h.p.DefaultCorrelation * sigmaI * h.sigma[j]
}

// Baseline returns the hub baseline of §3.5.1: σp² = Σa Σb ŵa ŵb Σab over
// the weight keys with ŵ = w/Σw, VaR99 = Z·σp and ES99 = ESFactor·VaR99.
func (h *Hub) Baseline() (Risk, bool) { return h.baseline, h.hasBase }

// Holds reports whether strategy id is a key of the hub weights.
func (h *Hub) Holds(id string) bool {
	i, ok := h.m.Index(id)
	if !ok {
		return false
	}
	_, held := h.heldAt[i]
	return held
}

// Len returns the number of weight keys, zeros included: the |N| of the
// default candidate weight 1/(|N|+1).
func (h *Hub) Len() int { return len(h.held) }

// Diagonal returns the covariance entry of (id, id), when present.
func (h *Hub) Diagonal(id string) (float64, bool) { return h.m.Lookup(id, id) }

// Incremental returns the incremental risk of §3.5.2 of candidate c, a
// strategy the hub does not hold, joining with weight alpha (> 1 is clipped
// to 1): w'i = (1−α)·wi for every held i with wi ≠ 0 (only when α < 1),
// w'c = α, and Δ = risk(w') − risk(w), both renormalised by §3.5.1. When the
// covariance has no diagonal for c, sigmaC (> 0) estimates its standard
// deviation (O1) and missing covariances of c take the default correlation;
// without either there is no incremental risk. Δ may be negative
// (diversification).
func (h *Hub) Incremental(c string, alpha float64, sigmaC float64) (Risk, bool) {
	if !h.hasBase || math.IsNaN(alpha) || math.IsInf(alpha, 0) || alpha <= 0 {
		return Risk{}, false
	}
	alpha = min(alpha, 1)
	ci, ok := h.m.Index(c)
	if !ok {
		return Risk{}, false
	}
	if _, held := h.heldAt[ci]; held {
		return Risk{}, false
	}
	var o *override
	if _, ok := h.m.At(ci, ci); !ok {
		if math.IsNaN(sigmaC) || math.IsInf(sigmaC, 0) || sigmaC <= 0 {
			return Risk{}, false
		}
		o = &override{h: h, c: ci, sigma: sigmaC}
	}
	idx := make([]int, 0, len(h.held)+1)
	x := make([]float64, 0, len(h.held)+1)
	if alpha < 1 {
		for i, pos := range h.held {
			if w := h.weights[i]; w != 0 {
				idx, x = append(idx, pos), append(x, (1-alpha)*w)
			}
		}
	}
	idx, x = append(idx, ci), append(x, alpha)
	v, ok := h.variance(idx, x, o)
	if !ok {
		return Risk{}, false
	}
	with := h.risk(v)
	return Risk{VaR99: with.VaR99 - h.baseline.VaR99, ES99: with.ES99 - h.baseline.ES99}, true
}

// LeaveOneOut returns the incremental risk of a strategy c the hub already
// holds (O1): Δ = risk(w) − risk(w without c), the second renormalised over
// the remaining weights. A portfolio of c alone leaves nothing: Δ is the
// whole baseline. It fails when c is not held, there is no baseline, or the
// remaining weights sum to ≤ 0.
func (h *Hub) LeaveOneOut(c string) (Risk, bool) {
	ci, ok := h.m.Index(c)
	if !ok || !h.hasBase {
		return Risk{}, false
	}
	k, held := h.heldAt[ci]
	if !held {
		return Risk{}, false
	}
	if len(h.held) == 1 {
		return h.baseline, true
	}
	idx := make([]int, 0, len(h.held)-1)
	x := make([]float64, 0, len(h.held)-1)
	idx = append(append(idx, h.held[:k]...), h.held[k+1:]...)
	x = append(append(x, h.weights[:k]...), h.weights[k+1:]...)
	v, ok := h.variance(idx, x, nil)
	if !ok {
		return Risk{}, false
	}
	without := h.risk(v)
	return Risk{VaR99: h.baseline.VaR99 - without.VaR99, ES99: h.baseline.ES99 - without.ES99}, true
}

// risk turns a variance into VaR99 and ES99.
func (h *Hub) risk(variance float64) Risk {
	v := h.p.Z * math.Sqrt(variance)
	return Risk{VaR99: v, ES99: h.p.ESFactor * v}
}

// variance returns σ² = Σa Σb x̂a x̂b Σab over the positions idx with x̂ =
// x/Σx, summing left to right, a-major, as QMTL's generator does. It fails
// when Σx ≤ 0 or σ² is negative or not finite.
func (h *Hub) variance(idx []int, x []float64, o *override) (float64, bool) {
	var s float64
	for _, v := range x {
		s += v
	}
	if !(s > 0) {
		return 0, false
	}
	norm := make([]float64, len(x))
	for i, v := range x {
		norm[i] = v / s
	}
	n := h.m.n
	var total float64
	if o == nil {
		for i, a := range idx {
			wa := norm[i]
			row := h.eff[a*n : a*n+n]
			for j, b := range idx {
				total += wa * norm[j] * row[b]
			}
		}
		return checkVariance(total)
	}
	for i, a := range idx {
		wa := norm[i]
		row := h.eff[a*n : a*n+n]
		if a == o.c {
			for j, b := range idx {
				total += wa * norm[j] * o.cell(a, b)
			}
			continue
		}
		for j, b := range idx {
			c := row[b]
			if b == o.c {
				c = o.cell(a, b)
			}
			total += wa * norm[j] * c
		}
	}
	return checkVariance(total)
}

// checkVariance refuses a negative or non-finite variance.
func checkVariance(v float64) (float64, bool) {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// override supplies the row and column of a candidate whose diagonal the
// covariance lacks, from an estimated standard deviation (O1).
type override struct {
	h     *Hub
	c     int
	sigma float64
}

// cell returns the effective covariance of (a, b) where one of them is the
// candidate.
func (o *override) cell(a, b int) float64 {
	switch {
	case a == o.c && b == o.c:
		return o.sigma * o.sigma
	case a == o.c:
		if v, ok := o.h.m.At(a, b); ok {
			return v
		}
		return o.h.fillWith(o.sigma, b)
	default:
		if v, ok := o.h.m.At(a, b); ok {
			return v
		}
		return o.h.fillWith(o.sigma, a)
	}
}

// fillWith returns ρ·σ·σj for an estimated σ, or 0 when σj is unknown or ρ
// is 0.
func (h *Hub) fillWith(sigma float64, j int) float64 {
	if h.p.DefaultCorrelation == 0 || math.IsNaN(h.sigma[j]) {
		return 0
	}
	return h.p.DefaultCorrelation * sigma * h.sigma[j]
}
