package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
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

// parsePlainSeries parses b when it is an array holding only numbers and
// nulls; ok is false for anything else, and for a number out of the range
// of a float64, so that the caller reports it the way encoding/json does.
// The values share one backing array.
func parsePlainSeries(b []byte) (ReturnSeries, bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	body := b[1 : len(b)-1]
	n := 1
	for _, c := range body {
		switch {
		case c == ',':
			n++
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E',
			c == 'n', c == 'u', c == 'l', c == ' ', c == '\t', c == '\n', c == '\r':
		default:
			return nil, false
		}
	}
	if len(trimJSONSpace(body)) == 0 {
		return ReturnSeries{}, true
	}
	vals := make([]float64, n)
	out := make(ReturnSeries, n)
	for i := range n {
		tok := body
		if j := bytes.IndexByte(body, ','); j >= 0 {
			tok, body = body[:j], body[j+1:]
		}
		tok = trimJSONSpace(tok)
		if string(tok) == "null" {
			continue
		}
		if !jsonNumber(tok) {
			return nil, false
		}
		v, err := strconv.ParseFloat(string(tok), 64)
		if err != nil {
			return nil, false
		}
		vals[i] = v
		out[i] = &vals[i]
	}
	return out, true
}

// jsonNumber reports whether tok is a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(tok []byte) bool {
	i := 0
	if i < len(tok) && tok[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(tok) && tok[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(tok) && tok[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		if i < len(tok) && (tok[i] == '+' || tok[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(tok)
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
