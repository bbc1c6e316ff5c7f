package policy

import (
	"math"
	"strconv"
	"strings"
)

// decoder walks a node tree, turning it into typed values and collecting
// every problem and warning it meets, so that one pass reports all of them.
type decoder struct {
	problems []Problem
	warnings []Warning
}

func (d *decoder) fail(path, code, msg string) {
	d.problems = append(d.problems, Problem{Path: path, Code: code, Message: msg})
}

func (d *decoder) invalid(path, msg string) { d.fail(path, CodeInvalidValue, msg) }

func (d *decoder) warn(path, msg string) {
	d.warnings = append(d.warnings, Warning{Path: path, Message: msg})
}

// object checks that n is a mapping and that each of its keys is in allowed,
// reporting the others as unknown keys. It returns false when n is not a
// mapping (a problem has then been recorded).
func (d *decoder) object(n *node, path string, allowed ...string) bool {
	if n.kind != kMap {
		d.invalid(path, "must be a mapping, got "+n.kind.String())
		return false
	}
	for _, k := range n.keys {
		known := false
		for _, a := range allowed {
			if k == a {
				known = true
				break
			}
		}
		if !known {
			d.fail(childPath(path, k), CodeUnknownKey, "unknown key")
		}
	}
	return true
}

// each calls fn for every non-null member of a mapping, in document order.
func (d *decoder) each(n *node, path string, fn func(key string, v *node, path string)) bool {
	if n.kind != kMap {
		d.invalid(path, "must be a mapping, got "+n.kind.String())
		return false
	}
	for i, k := range n.keys {
		if n.vals[i].isNull() {
			continue
		}
		fn(k, n.vals[i], childPath(path, k))
	}
	return true
}

// number reads an optional finite number.
func (d *decoder) number(n *node, path string) *float64 {
	if n.isNull() {
		return nil
	}
	if n.kind != kNumber {
		d.invalid(path, "must be a number, got "+n.kind.String())
		return nil
	}
	if !n.finite() {
		d.invalid(path, "must be a finite number")
		return nil
	}
	v := n.num
	return &v
}

// numberIn reads an optional finite number in [lo, hi] (hi may be +Inf); a
// value outside is reported and read as not set.
func (d *decoder) numberIn(n *node, path string, lo, hi float64) *float64 {
	v := d.number(n, path)
	if v == nil || (*v >= lo && *v <= hi) {
		return v
	}
	if math.IsInf(hi, 1) {
		d.invalid(path, "must be a number >= "+strconv.FormatFloat(lo, 'g', -1, 64))
	} else {
		d.invalid(path, "must be a number in ["+strconv.FormatFloat(lo, 'g', -1, 64)+", "+strconv.FormatFloat(hi, 'g', -1, 64)+"]")
	}
	return nil
}

// positive reads an optional finite number > 0; a value ≤ 0 is reported and
// read as not set.
func (d *decoder) positive(n *node, path string) *float64 {
	v := d.number(n, path)
	if v != nil && *v <= 0 {
		d.invalid(path, "must be a number > 0")
		return nil
	}
	return v
}

// requiredNumber reads a finite number that must be present.
func (d *decoder) requiredNumber(n *node, path string) float64 {
	if n.isNull() {
		d.invalid(path, "is required")
		return 0
	}
	if v := d.number(n, path); v != nil {
		return *v
	}
	return 0
}

// maxExactInt is the largest integer every float64 up to it represents.
const maxExactInt = 1 << 53

// integer reads an optional integer (an integral number such as 50 or 50.0).
func (d *decoder) integer(n *node, path string) *int {
	f := d.number(n, path)
	if f == nil {
		return nil
	}
	if *f != math.Trunc(*f) || math.Abs(*f) > maxExactInt {
		d.invalid(path, "must be an integer")
		return nil
	}
	v := int(*f)
	return &v
}

// str reads an optional string; ok is false when it is absent or invalid.
func (d *decoder) str(n *node, path string) (s string, ok bool) {
	if n.isNull() {
		return "", false
	}
	if n.kind != kString {
		d.invalid(path, "must be a string, got "+n.kind.String())
		return "", false
	}
	return n.text, true
}

// metricName reads a required, non-empty metric name.
func (d *decoder) metricName(n *node, path string) string {
	if n.isNull() {
		d.invalid(path, "is required")
		return ""
	}
	s, ok := d.str(n, path)
	if ok && s == "" {
		d.invalid(path, "must be a non-empty string")
	}
	return s
}

// oneOf reads an optional string that must be one of the allowed values
// (compared exactly).
func (d *decoder) oneOf(n *node, path string, allowed ...string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	d.invalid(path, "must be one of "+strings.Join(allowed, ", "))
	return ""
}

// meta reads the severity and owner keys of a block (case-insensitive,
// stored lower-case; an empty string means "not set").
func (d *decoder) meta(n *node, path string) Meta {
	var m Meta
	if s, ok := d.str(n.get("severity"), childPath(path, "severity")); ok && s != "" {
		switch v := Severity(strings.ToLower(s)); v {
		case Blocking, Soft, Info:
			m.Severity = v
		default:
			d.invalid(childPath(path, "severity"), "must be one of blocking, soft, info")
		}
	}
	if s, ok := d.str(n.get("owner"), childPath(path, "owner")); ok && s != "" {
		switch v := Owner(strings.ToLower(s)); v {
		case Quant, Risk, Ops:
			m.Owner = v
		default:
			d.invalid(childPath(path, "owner"), "must be one of quant, risk, ops")
		}
	}
	return m
}
