package projections

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestPadAndKey(t *testing.T) {
	for _, n := range []uint64{0, 7, 1234567890, math.MaxUint64} {
		if got, want := pad(n), fmt.Sprintf("%0*d", positionWidth, n); got != want {
			t.Errorf("pad(%d) = %q, want %q", n, got, want)
		}
	}
	for _, parts := range [][]string{nil, {"run"}, {"world", "w%2F1", "stage", ""}} {
		if got, want := key("p", parts...), "p/"+strings.Join(parts, "/"); got != want {
			t.Errorf("key(p, %q) = %q, want %q", parts, got, want)
		}
	}
}
