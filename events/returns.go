package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/worldval/worldval/internal/jsonfast"
)

// ReturnSeries is a per-period return series as submitted: a JSON array of
// numbers in which null marks a missing period. It decodes like a
// []*float64 — the same values, nulls and errors — but a series of plain
// numbers (the usual case, read by several subscribers for every run) is
// parsed in one pass with one allocation for all its values instead of one
// per value.
type ReturnSeries []*float64

// UnmarshalJSON decodes a JSON array of numbers and nulls. Anything else
// (strings, nested arrays, objects) is left to encoding/json, which reports
// it as it would for a []*float64.
func (r *ReturnSeries) UnmarshalJSON(b []byte) error {
	b = trimJSONSpace(b)
	if string(b) == "null" {
		*r = nil
		return nil
	}
	if out, ok := parsePlainSeries(b); ok {
		*r = out
		return nil
	}
	var slow []*float64
	if err := json.Unmarshal(b, &slow); err != nil {
		return fmt.Errorf("return series: %w", err)
	}
	*r = slow
	return nil
}

// AppendJSON appends the series to dst as encoding/json writes a
// []*float64 (null for a missing period, ES6 number formatting) without
// reflection. Like encoding/json it fails on NaN or ±Inf, with the same
// error.
func (r ReturnSeries) AppendJSON(dst []byte) ([]byte, error) {
	if out, ok := appendReturns(dst, r); ok {
		return out, nil
	}
	_, err := json.Marshal([]*float64(r))
	return dst, err
}

// appendReturns appends a return series as encoding/json writes a
// []*float64: null for a missing period; false for NaN or ±Inf.
func appendReturns(dst []byte, r ReturnSeries) ([]byte, bool) {
	if r == nil {
		return append(dst, "null"...), true
	}
	dst = append(dst, '[')
	for i, p := range r {
		if i > 0 {
			dst = append(dst, ',')
		}
		if p == nil {
			dst = append(dst, "null"...)
			continue
		}
		var ok bool
		if dst, ok = jsonfast.AppendFloat(dst, *p); !ok {
			return dst, false
		}
	}
	return append(dst, ']'), true
}

// parsePlainSeries parses b when it is an array holding only numbers and
// nulls; ok is false for anything else, and for a number out of the range
// of a float64, so that the caller reports it the way encoding/json does.
// The values share one backing array. It reads the array in one pass,
// checking each number against JSON's grammar as it converts it (see
// [parseNumber]).
func parsePlainSeries(b []byte) (ReturnSeries, bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	body := b[1 : len(b)-1]
	i := jsonfast.SkipSpace(body, 0)
	if i == len(body) {
		return ReturnSeries{}, true
	}
	n := bytes.Count(body, []byte{','}) + 1
	vals := make([]float64, n)
	out := make(ReturnSeries, n)
	for k := range n {
		if k > 0 {
			// After the previous element and its whitespace: a comma.
			if i >= len(body) || body[i] != ',' {
				return nil, false
			}
			i = jsonfast.SkipSpace(body, i+1)
		}
		if i < len(body) && body[i] == 'n' {
			if len(body)-i < 4 || string(body[i:i+4]) != "null" {
				return nil, false
			}
			i = jsonfast.SkipSpace(body, i+4)
			continue
		}
		v, end, ok := parseNumber(body, i)
		if !ok {
			return nil, false
		}
		vals[k] = v
		out[k] = &vals[k]
		i = jsonfast.SkipSpace(body, end)
	}
	if i != len(body) {
		return nil, false
	}
	return out, true
}

// parseNumber reads the JSON number starting at b[i] and returns its value
// as strconv.ParseFloat does and the index just past it; ok is false when
// no number in JSON's grammar starts there, or it is out of the range of a
// float64. A decimal without exponent whose digits form an integer m < 2^53
// with k ≤ 22 of them after the point is m / 10^k, computed by one correctly
// rounded division of two exact values (math.Pow10 is exact up to 1e22):
// the correctly rounded value ParseFloat returns, without its general
// parsing. Every other number is handed to ParseFloat.
func parseNumber(b []byte, i int) (float64, int, bool) {
	start := i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	var m uint64
	digits, frac := 0, 0 // significant digits in m, digits after the point
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			m = m*10 + uint64(b[i]-'0')
			digits++
		}
	default:
		return 0, i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		first := i
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if m != 0 || b[i] != '0' {
				digits++
			}
			m = m*10 + uint64(b[i]-'0')
			frac++
		}
		if i == first {
			return 0, i, false
		}
	}
	// At most 16 significant digits cannot have overflowed m.
	exact := digits <= 16 && m < 1<<53 && frac <= 22
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		first := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == first {
			return 0, i, false
		}
		exact = false
	}
	if exact {
		v := float64(m) / math.Pow10(frac)
		if neg {
			v = -v
		}
		return v, i, true
	}
	v, err := strconv.ParseFloat(string(b[start:i]), 64)
	return v, i, err == nil
}

// trimJSONSpace removes JSON's insignificant whitespace (space, tab, line
// feed, carriage return; nothing else) from both ends of b.
func trimJSONSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
