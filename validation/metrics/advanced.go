package metrics

import (
	"math"
	"slices"
)

// CV fold parameters of validation-core §4.5.5.
const (
	cvMaxFolds    = 5
	cvMinFoldSize = 30
)

// quantile returns the linear (Hyndman–Fan type 7, numpy "linear") quantile of
// the ascending-sorted non-empty slice s at probability p (validation-core
// §4.5.1).
func quantile(s []float64, p float64) float64 {
	return quantileOfN(s, len(s), p)
}

// quantileOfN is the quantile at p of an ascending-sorted series of n values
// of which s holds the smallest: at least ⌈(n−1)p⌉+1 of them (all of them
// when p ≥ 1).
func quantileOfN(s []float64, n int, p float64) float64 {
	switch {
	case p <= 0:
		return s[0]
	case p >= 1:
		return s[n-1]
	}
	h := float64(n-1) * p
	lo, hi := math.Floor(h), math.Ceil(h)
	if lo == hi {
		return s[int(lo)]
	}
	a, b := s[int(lo)], s[int(hi)]
	return a + (b-a)*(h-lo)
}

// tailRisk returns var_p01 and es_p01 of the cleaned series r: the per-period
// loss at the 1 % linear quantile and the mean loss at or beyond it, both ≥ 0
// (validation-core §4.5.2). Null when n < 2.
//
// Both read only the lowest percent of the sorted series, so only the
// smallest values are sorted (see [smallest]); the quantile is interpolated
// and the tail averaged over the same values, in the same order, as over the
// whole sorted series.
func tailRisk(r []float64) (vaR, es opt) {
	n := len(r)
	if n < 2 {
		return opt{}, opt{}
	}
	const p = 0.01
	// The quantile reads the ranks ⌊(n−1)p⌋ and ⌈(n−1)p⌉ only.
	k := min(n, int(math.Ceil(float64(n-1)*p))+1)
	head := smallest(r, k)
	q := quantileOfN(head, n, p)
	vaR = opt{0, true}
	if q < 0 {
		vaR = some(-q)
	}
	// The tail {r_t ≤ q} is a prefix of the sorted series (q ≥ s_0): the
	// smallest values up to q, then, when q is the largest of them, every
	// other value equal to it.
	end := 0
	for end < k && head[end] <= q {
		end++
	}
	tail := head[:end]
	if end == k {
		extra := 0
		for _, x := range r {
			if x == q {
				extra++
			}
		}
		for _, x := range head {
			if x == q {
				extra--
			}
		}
		for range extra {
			tail = append(tail, q)
		}
	}
	m := mean(tail)
	es = opt{0, true}
	if m < 0 {
		es = some(-m)
	}
	return vaR, es
}

// smallest returns the k smallest values of r (1 ≤ k ≤ len(r)) in
// ascending order, as the first k of the sorted series, through a max-heap
// of k values: O(n log k) rather than a sort of the whole series.
func smallest(r []float64, k int) []float64 {
	h := slices.Clone(r[:k])
	slices.Sort(h)
	slices.Reverse(h) // a descending slice is a max-heap
	for _, x := range r[k:] {
		if !(x < h[0]) {
			continue
		}
		// Replace the largest kept value and sift it down.
		h[0] = x
		for i := 0; ; {
			c := 2*i + 1
			if c >= k {
				break
			}
			if c+1 < k && h[c+1] > h[c] {
				c++
			}
			if !(h[c] > h[i]) {
				break
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
	}
	slices.Sort(h)
	return h
}

// cvSharpe returns cv_folds, cv_sharpe_mean and cv_sharpe_std over contiguous,
// non-purged folds (validation-core §4.5.5). Fold Sharpe ratios are annualised
// with √ppy; the standard deviation is the population one.
func cvSharpe(r []float64, ppy float64) (folds, mu, sd opt) {
	n := len(r)
	if n < 2*cvMinFoldSize {
		return
	}
	k := min(cvMaxFolds, n/cvMinFoldSize)
	if k < 2 {
		return
	}
	size := n / k
	if size < cvMinFoldSize {
		return
	}
	scale := math.Sqrt(ppy)
	sharpes := make([]float64, 0, k)
	for i := range k {
		end := (i + 1) * size
		if i == k-1 {
			end = n
		}
		fold := r[i*size : end]
		if len(fold) < 2 {
			continue
		}
		m, s := meanStd(fold)
		if !(s > 0) {
			continue
		}
		if v, ok := finite(m / s * scale); ok {
			sharpes = append(sharpes, v)
		}
	}
	if len(sharpes) < 2 {
		return
	}
	m, s := meanStd(sharpes)
	return opt{float64(len(sharpes)), true}, some(m), some(s)
}

// strategyComplexity returns the score of validation-core §4.5.7 for a
// diagnostics block; null when the block is absent or empty.
func strategyComplexity(diag map[string]any) opt {
	if len(diag) == 0 {
		return opt{}
	}
	score := 1.0
	if si, ok := Number(diag["search_intensity"]); ok && si >= 0 {
		score += math.Log1p(si)
	}
	if extra, ok := diag["extra_metrics"].(map[string]any); ok {
		// The weights w_k of §4.5.7, in a fixed order so that the
		// floating-point sum is deterministic.
		for _, w := range [...]struct {
			key    string
			weight float64
		}{
			{"n_features", 0.2},
			{"feature_dim", 0.2},
			{"n_parameters", 0.2},
			{"code_cc", 0.1},
			{"nodes", 0.1},
		} {
			if v, ok := Number(extra[w.key]); ok && v >= 0 {
				score += w.weight * math.Log1p(v)
			}
		}
	}
	return some(score)
}

// writeAdvanced fills the advanced metrics of validation-core §4.5 for the
// cleaned series r (n ≥ 1) into f, given the core results c.
func writeAdvanced(f *filler, r []float64, c *coreMetrics, p Params) {
	if f.empty("returns", "var_p01") || f.empty("returns", "es_p01") {
		vaR, es := tailRisk(r)
		f.num(vaR.v, vaR.ok, "returns", "var_p01")
		f.num(es.v, es.ok, "returns", "es_p01")
	}
	if f.empty("returns", "max_time_under_water_days") {
		f.num(float64(underWater(r).longest), true, "returns", "max_time_under_water_days")
	}
	if v, _ := lookup(f.doc, "sample", "regime_coverage"); !isObject(v) {
		if cov, ok := regimeCoverage(r); ok {
			f.setValue(cov.document(), "sample", "regime_coverage")
		}
	}
	if c.stdErr.ok {
		psr, ok := ProbabilisticSharpe(c.sharpe.v, 0, c.stdErr.v)
		f.num(psr, ok, "robustness", "probabilistic_sharpe_ratio")
	}
	if f.empty("robustness", "cv_folds") || f.empty("robustness", "cv_sharpe_mean") ||
		f.empty("robustness", "cv_sharpe_std") {
		folds, mu, sd := cvSharpe(r, p.ppy())
		f.num(folds.v, folds.ok, "robustness", "cv_folds")
		f.num(mu.v, mu.ok, "robustness", "cv_sharpe_mean")
		f.num(sd.v, sd.ok, "robustness", "cv_sharpe_std")
	}
	if p.OptionalMetrics {
		writeOptional(f, r, c, p)
	}
}

// writeOptional fills the metrics QMTL declares but never computes
// (validation-core §4.10), with the formulas the spec prescribes.
func writeOptional(f *filler, r []float64, c *coreMetrics, p Params) {
	y := excessReturns(r, p)
	sortino, ok := Sortino(y)
	f.num(sortino, ok, "returns", "sortino_ratio")
	if c.sharpe.ok {
		f.num(c.sharpe.v*math.Sqrt(p.ppy()), p.ppy() > 0, "returns", "sharpe_annualized")
	}
	if c.momentsOK && c.sharpe.ok {
		const alpha = 0.05
		mtrl, ok := MinTrackRecordLength(c.sharpe.v, 0, c.moments.Skew, c.moments.Kurt, alpha)
		f.num(mtrl, ok, "robustness", "min_track_record_length")
	}
}

// writeComplexity fills diagnostics.strategy_complexity (validation-core §4.5.7).
func writeComplexity(f *filler) {
	if !f.empty("diagnostics", "strategy_complexity") {
		return
	}
	diag, _ := f.doc["diagnostics"].(map[string]any)
	sc := strategyComplexity(diag)
	f.num(sc.v, sc.ok, "diagnostics", "strategy_complexity")
}

// isObject reports whether v is a JSON object.
func isObject(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}
