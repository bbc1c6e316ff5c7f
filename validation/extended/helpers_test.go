package extended

import (
	"math"
	"testing"
)

// near fails the test unless got is within 1e-12 (absolute) or 1e-9
// (relative) of want: the hand-worked figures below are rounded to the
// digits written, and the summation order of the code is QMTL's, not the
// order of the arithmetic in the comments.
func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if d := math.Abs(got - want); d > 1e-12 && d > 1e-9*math.Abs(want) {
		t.Errorf("%s = %.15g, want %.15g", what, got, want)
	}
}

func f64(v float64) *float64 { return &v }
