package jsonfast

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// checkFloat compares AppendFloat with encoding/json's float64 encoding: the
// same bytes, and a decline exactly when encoding/json fails.
func checkFloat(t *testing.T, f float64) {
	t.Helper()
	want, err := json.Marshal(f)
	got, ok := AppendFloat([]byte("x"), f)
	if (err == nil) != ok || ok && string(got) != "x"+string(want) || !ok && string(got) != "x" {
		t.Fatalf("%v: AppendFloat %s (%v), encoding/json x%s (%v)", f, got, ok, want, err)
	}
}

func TestAppendFloatIsEncodingJSON(t *testing.T) {
	for _, f := range []float64{
		0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.999999e-7, 1e-7, 1e-9, 1e20, 1e21, 1e22, 123456789e12, 5e-324, math.MaxFloat64,
		-1.5e-300, 0.023058731814868432, 0.8333333333333334, math.NaN(), math.Inf(1), math.Inf(-1),
	} {
		checkFloat(t, f)
	}
}

// TestAppendFloatShortDecimals: decimals of up to ten places around the
// range of appendShortDecimal's fast path (returns as clients send them,
// powers of ten, the edges 1e-6 and 1e7, halfway cases) are written as
// encoding/json writes them.
func TestAppendFloatShortDecimals(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 3))
	for _, f := range []float64{1e-6, 9.99999999e-7, 1e7, 9999999.99999999, 0.001, 0.1, 0.5, 1, 10, 0.30000000000000004, 0.1 + 0.2, 1.00000001, 1.000000005, 123456.12345678, 9.87654321e-6} {
		checkFloat(t, f)
		checkFloat(t, -f)
	}
	for range 100000 {
		m := rng.Int64N(1e12)
		f, _ := strconv.ParseFloat(strconv.FormatInt(m, 10)+"e-"+strconv.Itoa(rng.IntN(14)), 64)
		checkFloat(t, f)
		checkFloat(t, -f)
		checkFloat(t, math.Nextafter(f, 1))
	}
}

// FuzzAppendFloatDecimal compares AppendFloat with encoding/json on the
// decimal m·10^-k and its neighbours.
func FuzzAppendFloatDecimal(f *testing.F) {
	f.Add(int64(7145), uint8(6))
	f.Add(int64(-1), uint8(6))
	f.Add(int64(99999999999999), uint8(7))
	f.Fuzz(func(t *testing.T, m int64, k uint8) {
		x, err := strconv.ParseFloat(strconv.FormatInt(m, 10)+"e-"+strconv.Itoa(int(k%24)), 64)
		if err != nil {
			return
		}
		for _, y := range []float64{x, math.Nextafter(x, math.Inf(1)), math.Nextafter(x, math.Inf(-1))} {
			checkFloat(t, y)
		}
	})
}

// BenchmarkAppendFloat writes a year of six-decimal returns, as a
// submission holds them.
func BenchmarkAppendFloat(b *testing.B) {
	returns := make([]float64, 252)
	for i := range returns {
		returns[i] = float64(i%13-6)/1000 + float64(i)/1e6
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, r := range returns {
			buf, _ = AppendFloat(buf, r)
		}
	}
}
