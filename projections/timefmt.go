package projections

import (
	"strings"
	"time"
)

// secondLayout is the API's timestamp form (validation-core §2.2): UTC,
// second precision, "Z" suffix.
const secondLayout = "2006-01-02T15:04:05Z"

// formatSecond renders t in the API's timestamp form; the zero time is "".
// It writes the digits itself (every run event formats its time) and leaves
// years outside 0–9999 to [time.Time.Format].
func formatSecond(t time.Time) string { return formatSecondAs(t) }

// formatSecondAs is formatSecond, except that it returns the first of have
// that is the same text rather than a new copy of it.
func formatSecondAs(t time.Time, have ...string) string {
	b, ok := secondText(t)
	if !ok {
		return formatSecondSlow(t)
	}
	for _, h := range have {
		if h == string(b[:]) {
			return h
		}
	}
	return string(b[:])
}

// secondText writes t in the API's timestamp form; ok is false for the zero
// time and for years outside 0–9999.
func secondText(t time.Time) (b [len(secondLayout)]byte, ok bool) {
	if t.IsZero() {
		return b, false
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return b, false
	}
	hour, minute, second := t.Clock()
	copy(b[:], "0000-00-00T00:00:00Z")
	for _, v := range [...]struct{ at, n, width int }{
		{0, year, 4}, {5, int(month), 2}, {8, day, 2}, {11, hour, 2}, {14, minute, 2}, {17, second, 2},
	} {
		for j := v.at + v.width - 1; j >= v.at; j-- {
			b[j] = byte('0' + v.n%10)
			v.n /= 10
		}
	}
	return b, true
}

// formatSecondSlow is formatSecond for the times secondText leaves out.
func formatSecondSlow(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(secondLayout)
}

// callerLayouts are the ISO-8601 forms accepted in caller-supplied
// timestamps (override timestamps, review due dates, ex-post recorded_at).
// Forms without a zone are UTC (validation-core §10.3).
var callerLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseCallerTime parses a caller-supplied ISO-8601 timestamp; ok is false
// when s is blank or not one of the accepted forms.
func parseCallerTime(s string) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range callerLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// normalizeCallerTime renders a caller-supplied timestamp in the API form, or
// returns "" when it does not parse.
func normalizeCallerTime(s string) string {
	t, ok := parseCallerTime(s)
	if !ok {
		return ""
	}
	return formatSecond(t)
}

// eventTime is the domain time of a record: when it occurred, or when it was
// recorded for an event that carries no occurrence time.
func eventTime(occurred, recorded time.Time) time.Time {
	if occurred.IsZero() {
		return recorded
	}
	return occurred
}
