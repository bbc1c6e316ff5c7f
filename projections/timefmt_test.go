package projections

import (
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"
)

// formatSecond writes what time.Format wrote before it wrote its own digits.
func TestFormatSecondMatchesTimeFormat(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 2, 10, 15, 30, 250_000_000, time.FixedZone("CET", 3600)),
		time.Date(2026, 3, 2, 0, 30, 0, 0, time.FixedZone("X", 45*60)), // the day before in UTC
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		times = append(times, time.Unix(rng.Int64N(400e9)-200e9, rng.Int64N(1e9)).In(time.FixedZone("", (rng.IntN(27)-12)*3600)))
	}
	for _, tm := range times {
		want := ""
		if !tm.IsZero() {
			want = tm.UTC().Truncate(time.Second).Format(secondLayout)
		}
		if got := formatSecond(tm); got != want {
			t.Fatalf("formatSecond(%v) = %q, want %q", tm, got, want)
		}
	}
}

// formatSecondAs gives formatSecond's text, and the string it was handed
// when that is the same text.
func TestFormatSecondAsReusesTheSameText(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 15, 30, 250_000_000, time.UTC)
	same := formatSecond(at.Add(-200 * time.Millisecond))
	other := formatSecond(at.Add(-time.Second))
	got := formatSecondAs(at, other, same)
	if got != "2026-03-02T10:15:30Z" || unsafe.StringData(got) != unsafe.StringData(same) {
		t.Fatalf("formatSecondAs = %q at %p, want %q at %p", got, unsafe.StringData(got), same, unsafe.StringData(same))
	}
	if got := formatSecondAs(at, other); got != "2026-03-02T10:15:30Z" || unsafe.StringData(got) == unsafe.StringData(other) {
		t.Fatalf("formatSecondAs = %q, the other second's string", got)
	}
	if got := formatSecondAs(time.Time{}, "", other); got != "" {
		t.Fatalf("zero time: %q", got)
	}
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := formatSecondAs(far); got != formatSecond(far) {
		t.Fatalf("year 10000: %q, want %q", got, formatSecond(far))
	}
}
