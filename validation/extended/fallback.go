package extended

import (
	"math"
	"sort"
)

// Peer is one strategy of the fallback baseline (spec §3.5.3): a strategy
// the world holds active, read from its latest run across all stages.
type Peer struct {
	// ID is the strategy id.
	ID string
	// Weight is the activation weight ω; a weight that is not a positive
	// finite number counts as 1.
	Weight float64
	// Sharpe is returns.sharpe of the latest run, nil when absent.
	Sharpe *float64
	// IncrementalVaR99 and IncrementalES99 are risk.incremental_var_99 and
	// risk.incremental_es_99 of the latest run, nil when absent.
	IncrementalVaR99, IncrementalES99 *float64
	// MaxDrawdown is returns.max_drawdown of the latest run, nil when
	// absent.
	MaxDrawdown *float64
}

// Correlations holds pairwise correlations of strategies, keyed by the
// unordered pair; a later Set of a pair overwrites an earlier one.
type Correlations map[[2]string]float64

// Set records the correlation of a and b.
func (c Correlations) Set(a, b string, rho float64) {
	if b < a {
		a, b = b, a
	}
	c[[2]string{a, b}] = rho
}

// Get returns the correlation of a and b: 1 when a = b, the recorded value,
// else def.
func (c Correlations) Get(a, b string, def float64) float64 {
	if a == b {
		return 1
	}
	if b < a {
		a, b = b, a
	}
	if v, ok := c[[2]string{a, b}]; ok {
		return v
	}
	return def
}

// Fallback is the fallback baseline of §3.5.3; nil fields are undefined.
type Fallback struct {
	// Sharpe is the ω-weighted mean Sharpe of the peers that have one.
	Sharpe *float64
	// VaR99 and ES99 are the portfolio VaR/ES from the peers' σ = v/Z and
	// their correlations when non-zero, else the additive sums Σ ω·v and
	// Σ ω·e when non-zero.
	VaR99, ES99 *float64
	// WeightSum is Ω, the weight of the Sharpe-bearing peers, when > 0.
	WeightSum *float64
	// Count is the number of peers used.
	Count int
}

// NewFallback computes the fallback baseline of a candidate over peers
// without the candidate itself (exclude). Peers are summed in ascending id
// order. Two decisions replace QMTL's choices: a missing correlation is
// p.DefaultCorrelation, not 0 (O2), and the weights of the variance are
// normalised over the peers that enter it, not over the Sharpe-bearing ones
// (O14).
func NewFallback(peers []Peer, corr Correlations, p Params, exclude string) Fallback {
	ps := make([]Peer, 0, len(peers))
	for _, x := range peers {
		if x.ID != exclude {
			ps = append(ps, x)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	var out Fallback
	out.Count = len(ps)
	if len(ps) == 0 {
		return out
	}
	weight := func(x *Peer) float64 {
		if w := x.Weight; w > 0 && !math.IsInf(w, 0) {
			return w
		}
		return 1
	}
	var omega, sharpeSum float64
	for i := range ps {
		if s := ps[i].Sharpe; s != nil && finite(*s) {
			omega += weight(&ps[i])
			sharpeSum += weight(&ps[i]) * *s
		}
	}
	if omega > 0 {
		out.Sharpe, out.WeightSum = ptr(sharpeSum/omega), ptr(omega)
	}
	v := make([]float64, len(ps))
	var sumV, sumE, omegaSigma float64
	var hasV, hasE bool
	for i := range ps {
		x := &ps[i]
		v[i] = math.NaN()
		switch {
		case x.IncrementalVaR99 != nil && finite(*x.IncrementalVaR99):
			v[i] = math.Abs(*x.IncrementalVaR99)
		case x.MaxDrawdown != nil && finite(*x.MaxDrawdown):
			v[i] = math.Abs(*x.MaxDrawdown)
		}
		e := math.NaN()
		switch {
		case x.IncrementalES99 != nil && finite(*x.IncrementalES99):
			e = math.Abs(*x.IncrementalES99)
		case !math.IsNaN(v[i]):
			e = p.ESFactor * v[i]
		}
		if !math.IsNaN(v[i]) {
			sumV, hasV = sumV+weight(x)*v[i], true
		}
		if !math.IsNaN(e) {
			sumE, hasE = sumE+weight(x)*e, true
		}
		if v[i] > 0 {
			omegaSigma += weight(x)
		}
	}
	var varP float64
	if omegaSigma > 0 {
		var total float64
		for a := range ps {
			if !(v[a] > 0) {
				continue
			}
			wa, sa := weight(&ps[a])/omegaSigma, v[a]/p.Z
			for b := range ps {
				if !(v[b] > 0) {
					continue
				}
				total += wa * (weight(&ps[b]) / omegaSigma) * sa * (v[b] / p.Z) * corr.Get(ps[a].ID, ps[b].ID, p.DefaultCorrelation)
			}
		}
		if total > 0 && finite(total) {
			varP = p.Z * math.Sqrt(total)
		}
	}
	switch {
	case varP != 0:
		out.VaR99, out.ES99 = ptr(varP), ptr(p.ESFactor*varP)
	default:
		if hasV && sumV != 0 {
			out.VaR99 = ptr(sumV)
		}
		if hasE && sumE != 0 {
			out.ES99 = ptr(sumE)
		}
	}
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func ptr[T any](v T) *T { return &v }
