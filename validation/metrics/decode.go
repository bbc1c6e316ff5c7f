package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Input formats recognised by [DecodeReturnsDetailed].
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
)

// DecodedReturns is a return series read by [DecodeReturnsDetailed].
type DecodedReturns struct {
	// Values are the per-period returns in input order, nulls skipped
	// (validation-core §4.1 cleaning). Every value is finite.
	Values []float64
	// Nulls counts the skipped null elements (JSON null, blank CSV cells).
	Nulls int
	// Format is FormatJSON or FormatCSV.
	Format string
}

// DecodeReturns reads a return series for the CLI and the API and returns its
// values; see [DecodeReturnsDetailed] for the accepted formats and errors.
func DecodeReturns(data []byte) ([]float64, error) {
	d, err := DecodeReturnsDetailed(data)
	return d.Values, err
}

// DecodeReturnsDetailed reads a return series (simple per-period returns in
// decimal form) from either
//
//   - a JSON array of numbers, where null elements are skipped, or
//   - a one-column CSV with an optional header line (a first line that is not
//     a number), where blank lines and empty cells are skipped as nulls.
//
// The format is JSON when the first non-blank byte is '[' or '{'. Strings,
// booleans, nested values, NaN and infinities, numbers outside the float64
// range, extra CSV columns and a series without any value are rejected with an
// error naming the element, e.g. `returns[17]: not a number: "abc"` or
// `line 5: not a finite number: "NaN"`.
func DecodeReturnsDetailed(data []byte) (DecodedReturns, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return DecodedReturns{}, errors.New("returns: empty input")
	}
	var (
		d   DecodedReturns
		err error
	)
	switch trimmed[0] {
	case '[', '{':
		d, err = decodeJSONReturns(trimmed)
	default:
		d, err = decodeCSVReturns(string(data))
	}
	if err != nil {
		return DecodedReturns{}, err
	}
	if len(d.Values) == 0 {
		return DecodedReturns{}, fmt.Errorf("returns: series has no values (%d nulls)", d.Nulls)
	}
	return d, nil
}

// decodeJSONReturns reads a JSON array of numbers and nulls. Well-formed input
// takes the fast path of json.Unmarshal; anything it rejects is decoded again
// token by token to name the offending element.
func decodeJSONReturns(data []byte) (DecodedReturns, error) {
	d := DecodedReturns{Format: FormatJSON}
	var fast []*float64
	if json.Unmarshal(data, &fast) == nil {
		d.Values = make([]float64, 0, len(fast))
		for _, x := range fast {
			if x == nil {
				d.Nulls++
			} else {
				d.Values = append(d.Values, *x)
			}
		}
		return d, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return d, jsonError(err)
	}
	if tok != json.Delim('[') {
		return d, errors.New("returns: expected a JSON array of numbers, got an object")
	}
	for i := 0; dec.More(); i++ {
		tok, err := dec.Token()
		if err != nil {
			return d, jsonError(err)
		}
		switch t := tok.(type) {
		case nil:
			d.Nulls++
		case json.Number:
			x, err := parseReturn(string(t))
			if err != nil {
				return d, fmt.Errorf("returns[%d]: %w", i, err)
			}
			d.Values = append(d.Values, x)
		case string:
			return d, fmt.Errorf("returns[%d]: not a number: %q", i, t)
		case bool:
			return d, fmt.Errorf("returns[%d]: not a number: %t", i, t)
		case json.Delim:
			kind := "an array"
			if t == '{' {
				kind = "an object"
			}
			return d, fmt.Errorf("returns[%d]: not a number: %s", i, kind)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return d, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return d, errors.New("returns: unexpected data after the JSON array")
	}
	return d, nil
}

// jsonError describes a JSON syntax error with its byte offset.
func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("returns: invalid JSON at byte %d: %v", se.Offset, se)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("returns: invalid JSON: unexpected end of input")
	}
	return fmt.Errorf("returns: invalid JSON: %w", err)
}

// decodeCSVReturns reads a one-column CSV.
func decodeCSVReturns(text string) (DecodedReturns, error) {
	d := DecodedReturns{Format: FormatCSV}
	lines := strings.Split(text, "\n")
	if last := len(lines) - 1; strings.TrimSpace(lines[last]) == "" {
		lines = lines[:last] // the final line break does not start a null cell
	}
	for i, line := range lines {
		lineNo := i + 1
		cell := strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if strings.ContainsRune(cell, ',') || strings.ContainsRune(cell, ';') || strings.ContainsRune(cell, '\t') {
			return d, fmt.Errorf("line %d: expected one column: %q", lineNo, cell)
		}
		if len(cell) >= 2 && cell[0] == '"' && cell[len(cell)-1] == '"' {
			cell = strings.TrimSpace(cell[1 : len(cell)-1])
		}
		if cell == "" {
			d.Nulls++
			continue
		}
		x, err := parseReturn(cell)
		if err != nil {
			if i == 0 && errors.Is(err, errNotNumber) {
				continue // header line
			}
			return d, fmt.Errorf("line %d: %w", lineNo, err)
		}
		d.Values = append(d.Values, x)
	}
	return d, nil
}

// errNotNumber marks text that is not a decimal number at all.
var errNotNumber = errors.New("not a number")

// parseReturn parses a decimal number and rejects NaN, infinities, hexadecimal
// and underscore forms and values outside the float64 range.
func parseReturn(s string) (float64, error) {
	if strings.ContainsAny(s, "xX_") {
		return 0, fmt.Errorf("%w: %q", errNotNumber, s)
	}
	x, err := strconv.ParseFloat(s, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("number out of range: %q", s)
	case err != nil:
		return 0, fmt.Errorf("%w: %q", errNotNumber, s)
	case math.IsNaN(x) || math.IsInf(x, 0):
		return 0, fmt.Errorf("not a finite number: %q", s)
	}
	return x, nil
}
