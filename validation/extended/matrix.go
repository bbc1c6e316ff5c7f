package extended

import "math"

// Matrix is a covariance matrix over an ordered set of strategy ids, read
// once from a snapshot's sparse covariance map with QMTL's look-up order
// (spec §2.8): the entry of (a, b) is the first of "a,b", "b,a", "a:b" and
// "b:a" that the map holds. An asymmetric map therefore keeps exactly the
// asymmetry QMTL's quadratic form sees. Ids that contain "," or ":" are
// matched at every separator position, as QMTL's string look-up would. A
// non-finite value counts as missing. A Matrix is immutable once built.
type Matrix struct {
	ids   []string
	index map[string]int
	n     int
	val   []float64 // row-major n×n; meaningful where has is true
	has   []bool
}

// NewMatrix reads cov for the strategies ids (which must be distinct; a
// repeated id keeps its first position). It costs one pass over cov and
// n² memory, so callers build it once per snapshot.
func NewMatrix(ids []string, cov map[string]float64) *Matrix {
	n := len(ids)
	m := &Matrix{ids: ids, index: make(map[string]int, n), n: n, val: make([]float64, n*n), has: make([]bool, n*n)}
	for i, id := range ids {
		if _, dup := m.index[id]; !dup {
			m.index[id] = i
		}
	}
	// prio holds the look-up rank of the key each cell was read from (1 =
	// "a,b", 2 = "b,a", 3 = "a:b", 4 = "b:a"; 0 = none): a cell keeps the
	// best-ranked key whatever order the map is walked in.
	prio := make([]uint8, n*n)
	set := func(a, b int, p uint8, v float64) {
		k := a*n + b
		if prio[k] == 0 || p < prio[k] {
			prio[k], m.val[k], m.has[k] = p, v, true
		}
	}
	for key, v := range cov {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		for i := 0; i < len(key); i++ {
			sep := key[i]
			if sep != ',' && sep != ':' {
				continue
			}
			a, okA := m.index[key[:i]]
			b, okB := m.index[key[i+1:]]
			if !okA || !okB {
				continue
			}
			rank := uint8(1)
			if sep == ':' {
				rank = 3
			}
			set(a, b, rank, v)   // "a,b" is the first choice of lookup(a, b)
			set(b, a, rank+1, v) // and the second of lookup(b, a)
		}
	}
	return m
}

// Len returns the number of strategies of the matrix.
func (m *Matrix) Len() int { return m.n }

// Index returns the position of strategy id.
func (m *Matrix) Index(id string) (int, bool) {
	i, ok := m.index[id]
	return i, ok
}

// At returns the entry of positions (i, j) and whether the map held one.
func (m *Matrix) At(i, j int) (float64, bool) {
	k := i*m.n + j
	return m.val[k], m.has[k]
}

// Lookup returns the entry of strategies (a, b) as QMTL's lookup(a, b) does.
func (m *Matrix) Lookup(a, b string) (float64, bool) {
	i, okA := m.index[a]
	j, okB := m.index[b]
	if !okA || !okB {
		return 0, false
	}
	return m.At(i, j)
}
