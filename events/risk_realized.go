package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// RealizedReturns is the realized_returns member of a risk snapshot. It has
// two shapes on the wire: the preferred object of series per strategy
// ({"s1": [0.01, -0.02], …}, held in ByStrategy) and the legacy bare array
// that consumers apply to every strategy (held in Series). Exactly one of the
// two is non-nil in a decoded value. Series are oldest first.
type RealizedReturns struct {
	// ByStrategy maps strategy id to its return series.
	ByStrategy map[string][]float64
	// Series is the legacy single series.
	Series []float64
}

// For returns the series a consumer uses for strategy s, as QMTL's
// _extract_live_returns does with a validated snapshot: the strategy's own
// series, else "live_returns", else "returns", else the legacy bare series.
// It returns nil when there is none.
func (r *RealizedReturns) For(s string) []float64 {
	if r == nil {
		return nil
	}
	if r.ByStrategy != nil {
		for _, k := range [...]string{s, "live_returns", "returns"} {
			if v, ok := r.ByStrategy[k]; ok && len(v) > 0 {
				return v
			}
		}
		return nil
	}
	return r.Series
}

// Points returns the total number of return observations, the measure the
// inline threshold is compared with (D24).
func (r *RealizedReturns) Points() int {
	if r == nil {
		return 0
	}
	n := len(r.Series)
	for _, v := range r.ByStrategy {
		n += len(v)
	}
	return n
}

// MarshalJSON writes the object shape when ByStrategy is set, else the array
// shape, else null.
func (r RealizedReturns) MarshalJSON() ([]byte, error) {
	switch {
	case r.ByStrategy != nil:
		return json.Marshal(r.ByStrategy)
	case r.Series != nil:
		return json.Marshal(r.Series)
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads either shape; null leaves the value unchanged.
func (r *RealizedReturns) UnmarshalJSON(b []byte) error {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return errors.New("realized_returns: empty")
	}
	switch b[0] {
	case 'n':
		return nil
	case '{':
		var m map[string][]float64
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("realized_returns: %w", err)
		}
		*r = RealizedReturns{ByStrategy: m}
		return nil
	case '[':
		var s []float64
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("realized_returns: %w", err)
		}
		*r = RealizedReturns{Series: s}
		return nil
	}
	return errors.New("realized_returns: neither an object nor an array")
}
