package risksnapshot

import (
	"errors"
	"time"
)

// ParseTimestamp reads an as_of value as decision D13 allows: an RFC 3339
// date-time, YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm), or the same without
// the offset, which is read as UTC. "T" and "Z" may be lower case, as RFC
// 3339 permits. Date-only values, the basic format (20250101T000000Z), a
// space instead of "T", leap seconds and more than nine fractional digits are
// refused. The result is in UTC.
func ParseTimestamp(s string) (time.Time, error) {
	errBad := errors.New("not an RFC 3339 date-time")
	if len(s) < 19 {
		return time.Time{}, errBad
	}
	num := func(from, n int) (int, bool) {
		v := 0
		for i := from; i < from+n; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[4] != '-' || s[7] != '-' ||
		(s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, errBad
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, errBad
	}
	rest := s[19:]
	nanos := 0
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		digits := rest[1:n]
		if len(digits) == 0 || len(digits) > 9 {
			return time.Time{}, errBad
		}
		for i := range 9 {
			nanos *= 10
			if i < len(digits) {
				nanos += int(digits[i] - '0')
			}
		}
		rest = rest[n:]
	}
	offset := 0
	switch {
	case rest == "" || rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := numIn(rest, 1)
		om, okm := numIn(rest, 4)
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, errBad
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, errBad
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// numIn reads two decimal digits of s at i.
func numIn(s string, i int) (int, bool) {
	a, b := s[i], s[i+1]
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return 0, false
	}
	return int(a-'0')*10 + int(b-'0'), true
}

// daysIn returns the number of days of month in year (proleptic Gregorian).
func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// FormatInstant writes t in UTC as RFC 3339 with nanoseconds and no trailing
// zeros, the form of as_of_instant.
func FormatInstant(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// FormatSeconds writes t in UTC in whole seconds with a "Z" suffix, the form
// of server-assigned timestamps (spec §0.3).
func FormatSeconds(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}
