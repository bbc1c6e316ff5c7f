package metrics

import (
	"math"
	"testing"
)

// near fails the test when got differs from want by more than tol (absolute).
func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g ± %g", name, got, want, tol)
	}
}

// get returns the finite number at a dotted path of a document.
func get(doc map[string]any, path ...string) (float64, bool) {
	return numberAt(doc, path...)
}

// mustGet fails the test when the path holds no finite number.
func mustGet(t *testing.T, doc map[string]any, path ...string) float64 {
	t.Helper()
	v, ok := get(doc, path...)
	if !ok {
		t.Fatalf("%v: missing, want a number (doc %v)", path, doc)
	}
	return v
}

// mustDerive runs Derive with a series and fails on error.
func mustDerive(t *testing.T, submitted map[string]any, series []float64, p Params) map[string]any {
	t.Helper()
	res, err := Derive(submitted, series, true, p)
	if err != nil {
		t.Fatalf("Derive: %v", err)
	}
	return res.Metrics
}

func nan() float64         { return math.NaN() }
func inf(sign int) float64 { return math.Inf(sign) }
