package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBenchIngestSmall runs a short, slow benchmark: every submission is
// accepted and every verdict seen, and the report has its figures.
func TestBenchIngestSmall(t *testing.T) {
	t.Parallel()
	code, out, stderr := runCLI(t, "bench", "ingest", "--rate", "40", "--duration", "1s", "--concurrency", "4", "--returns", "60")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"submissions: 40 due, 40 accepted (202), 0 failed; sustained ",
		"verdicts: 40 visible, 0 never seen",
		"due → verdict visible:    p50 ",
		"process CPU (service and load generator): ",
		"goroutine scheduling latency (runnable → running): p50 ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`at 40/s: .*: (met|NOT met) \(below the 1000/s target rate\)`).MatchString(out) {
		t.Errorf("no verdict on the targets:\n%s", out)
	}
}

func TestBenchIngestRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--rate", "0"}, {"--duration", "-1s"}, {"--concurrency", "0"}, {"--returns", "0"}, {"extra"}} {
		if code, _, _ := runCLI(t, append([]string{"bench", "ingest"}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestLatencyPercentiles(t *testing.T) {
	var l latencies
	if s := l.summarize(); s.N != 0 || s.String() != "(none)" {
		t.Fatalf("empty: %+v", s)
	}
	for i := 100; i >= 1; i-- {
		l.add(time.Duration(i) * time.Millisecond)
	}
	s := l.summarize()
	if s.N != 100 || s.P50 != 50*time.Millisecond || s.P95 != 95*time.Millisecond || s.P99 != 99*time.Millisecond || s.P999 != 100*time.Millisecond || s.Max != 100*time.Millisecond {
		t.Fatalf("%+v", s)
	}
}
