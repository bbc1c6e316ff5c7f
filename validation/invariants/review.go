package invariants

import (
	"strings"
	"time"
)

// Re-review windows of approved overrides, in days (validation-core §10.1).
const (
	// ShortReviewWindowDays applies to live runs and to every run of a
	// high-tier critical world.
	ShortReviewWindowDays = 30
	// ReviewWindowDays applies to every other run.
	ReviewWindowDays = 90
)

// timestampLayout is the API's timestamp form: UTC, second precision, "Z".
const timestampLayout = "2006-01-02T15:04:05Z"

// ReviewWindow returns the re-review window, in days, of an approved
// override of a run at stage in a world that is, or is not, high-tier
// critical: 30 for a live run or a high-tier critical world, else 90.
func ReviewWindow(stage string, highTierCritical bool) int {
	if strings.ToLower(stage) == "live" || highTierCritical {
		return ShortReviewWindowDays
	}
	return ReviewWindowDays
}

// ReviewDue returns the re-review due date of an override approved at
// timestamp (an ISO-8601 string as the caller gave it) for a run at stage:
// the timestamp plus the [ReviewWindow], in UTC truncated to the second.
// ok is false when the timestamp is blank or does not parse.
func ReviewDue(timestamp, stage string, highTierCritical bool) (due time.Time, ok bool) {
	t, ok := ParseTimestamp(timestamp)
	if !ok {
		return time.Time{}, false
	}
	days := ReviewWindow(stage, highTierCritical)
	return t.AddDate(0, 0, days).Truncate(time.Second), true
}

// FormatTimestamp renders t in the API's timestamp form: UTC, second
// precision, "Z" suffix (for example 2025-01-31T00:00:00Z).
func FormatTimestamp(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(timestampLayout)
}

// ParseTimestamp parses an ISO-8601 timestamp as callers write them:
// RFC 3339 with any offset, "T" or a space between date and time, optional
// seconds and fractions, or a bare date. A value without an offset is UTC
// (validation-core §10.3). ok is false for a blank or unparseable value.
func ParseTimestamp(s string) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	for _, layout := range [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02 15:04Z07:00",
		"2006-01-02 15:04",
		"2006-01-02",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
