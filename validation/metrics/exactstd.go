package metrics

import (
	"math"
	"math/big"
	"math/bits"
)

// exactStd computes population standard deviations in exact integer
// arithmetic followed by a correctly rounded square root, which is what
// Python's statistics.pstdev (QMTL's rolling volatility) returns. Windows with
// the same multiset of values, or with mathematically equal variances, get
// bit-identical results. Its scratch integers are reused between calls, so a
// value must not be shared between goroutines.
type exactStd struct {
	m, s1, s2, sq, d, q, rem, root, tmp big.Int
	f                                   big.Float
}

// pstd returns the correctly rounded population standard deviation of xs
// (finite values); 0 for fewer than two values or when all are equal.
func (e *exactStd) pstd(xs []float64) float64 {
	k := len(xs)
	if k < 2 || allEqual(xs) {
		return 0
	}
	// Every finite float is m·2^exp with an integer |m| < 2^53; scale all
	// values to the smallest exponent so that they become integers M_i.
	minExp := math.MaxInt
	for _, x := range xs {
		if x != 0 {
			_, exp := math.Frexp(x)
			minExp = min(minExp, exp-53)
		}
	}
	e.s1.SetInt64(0)
	e.s2.SetInt64(0)
	for _, x := range xs {
		if x == 0 {
			continue
		}
		frac, exp := math.Frexp(x)
		e.m.SetInt64(int64(frac * (1 << 53)))
		e.m.Lsh(&e.m, uint(exp-53-minExp))
		e.s1.Add(&e.s1, &e.m)
		e.s2.Add(&e.s2, e.sq.Mul(&e.m, &e.m))
	}
	// k²·var = k·ΣM² − (ΣM)², in units of 2^(2·minExp).
	e.d.Mul(&e.s2, e.tmp.SetInt64(int64(k)))
	e.d.Sub(&e.d, e.sq.Mul(&e.s1, &e.s1))
	if e.d.Sign() <= 0 {
		return 0
	}
	// sd = √(d/k²)·2^minExp. Scale d by 2^(2·shift) so that the integer
	// quotient q = ⌊d·4^shift/k²⌋ has at least 116 bits and its integer square
	// root at least 58, then round once with a sticky bit: ⌊√⌊x⌋⌋ = ⌊√x⌋, and
	// setting the lowest bit when anything was discarded keeps the rounding
	// to nearest even exact because that bit lies below the rounding position.
	k2 := uint64(k * k)
	shift := max(0, (116-e.d.BitLen()+bits.Len64(k2)+1)/2)
	e.tmp.Lsh(&e.d, uint(2*shift))
	e.q.QuoRem(&e.tmp, e.m.SetUint64(k2), &e.rem)
	e.root.Sqrt(&e.q)
	sticky := e.rem.Sign() != 0 || e.sq.Mul(&e.root, &e.root).Cmp(&e.q) != 0
	if sticky {
		e.root.SetBit(&e.root, 0, 1)
	}
	// Apply the binary exponent before the single rounding to float64, so
	// that neither a large intermediate nor a subnormal result rounds twice.
	e.f.SetPrec(uint(max(64, e.root.BitLen()))).SetInt(&e.root)
	f, _ := e.f.SetMantExp(&e.f, minExp-shift).Float64()
	return f
}
