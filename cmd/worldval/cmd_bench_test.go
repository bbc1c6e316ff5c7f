package main

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchIngestSmall runs a short, slow benchmark: every submission is
// accepted and every verdict seen, and the report has its figures.
func TestBenchIngestSmall(t *testing.T) {
	t.Parallel()
	timeline := filepath.Join(t.TempDir(), "timeline.csv")
	code, out, stderr := runCLI(t, "bench", "ingest", "--rate", "40", "--duration", "1s", "--concurrency", "4", "--returns", "60", "--timeline", timeline)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"submissions: 40 due, 40 accepted (202), 0 failed; sustained ",
		"verdicts: 40 visible, 0 never seen",
		"due → verdict visible:    p50 ",
		"process CPU (service and load generator): ",
		"goroutine scheduling latency (runnable → running): p50 ",
		"garbage collector during the load: ",
		"timeline: " + timeline,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`at 40/s: .*: (met|NOT met) \(below the 1000/s target rate\)`).MatchString(out) {
		t.Errorf("no verdict on the targets:\n%s", out)
	}
	if !regexp.MustCompile(`garbage collector during the load: \d+ cycles, \d+\.\d\ds CPU \(\d+% of the process's; \d+\.\d\ds of it in assists`).MatchString(out) {
		t.Errorf("no garbage collector figures:\n%s", out)
	}
	data, err := os.ReadFile(timeline)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if lines[0] != "event,at_ms,latency_ms" {
		t.Fatalf("timeline header %q", lines[0])
	}
	verdicts := 0
	prev := math.Inf(-1)
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 3 {
			t.Fatalf("timeline row %q: want event,at_ms,latency_ms", l)
		}
		at, err := strconv.ParseFloat(f[1], 64)
		if err != nil || at < prev {
			t.Fatalf("timeline row %q (after %v): want event,at_ms,latency_ms in time order", l, prev)
		}
		prev = at
		if f[0] == "verdict" {
			verdicts++
			if lat, err := strconv.ParseFloat(f[2], 64); err != nil || lat <= 0 {
				t.Errorf("verdict row %q: want a positive latency", l)
			}
		}
	}
	if verdicts != 40 {
		t.Errorf("timeline has %d verdicts, want 40", verdicts)
	}
}

// TestWriteTimeline: verdicts and collections in time order, instants in
// milliseconds since the start, latencies due → visible.
func TestWriteTimeline(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms float64) time.Time { return start.Add(time.Duration(ms * float64(time.Millisecond))) }
	verdicts := []verdictPoint{
		{due: at(2), visible: at(9.5)}, // visible after the next one
		{due: at(1), visible: at(4.25)},
		{due: at(0), visible: at(30)},
	}
	var b strings.Builder
	if err := writeTimeline(&b, start, verdicts, []time.Time{at(1.5), at(-3)}); err != nil {
		t.Fatal(err)
	}
	want := "event,at_ms,latency_ms\n" +
		"gc_end,-3.000,\n" +
		"verdict,0.000,30.000\n" +
		"verdict,1.000,3.250\n" +
		"gc_end,1.500,\n" +
		"verdict,2.000,7.500\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestGCSnapshot: a difference of two snapshots, and its description
// against the process's CPU.
func TestGCSnapshot(t *testing.T) {
	before := gcSnapshot{cycles: 3, cpu: time.Second, assist: 100 * time.Millisecond, liveHeap: 1 << 20, haveAll: true}
	after := gcSnapshot{cycles: 8, cpu: 1500 * time.Millisecond, assist: 350 * time.Millisecond, liveHeap: 64 << 20, haveAll: true}
	d := after.since(before)
	if d.cycles != 5 || d.cpu != 500*time.Millisecond || d.assist != 250*time.Millisecond || d.liveHeap != 64<<20 {
		t.Fatalf("since: %+v", d)
	}
	want := "5 cycles, 0.50s CPU (10% of the process's; 0.25s of it in assists, taken from the goroutines that allocated), live heap 64 MiB at the end"
	if got := d.describe(5 * time.Second); got != want {
		t.Fatalf("describe:\n got %s\nwant %s", got, want)
	}
	d.liveHeap = 0
	if got := d.describe(5 * time.Second); !strings.HasSuffix(got, "assists, taken from the goroutines that allocated), no collection has measured the live heap") {
		t.Fatalf("before any collection: %s", got)
	}
	if got := (gcSnapshot{}).since(before).describe(time.Second); got != "(the runtime does not report it)" {
		t.Fatalf("without the metrics: %s", got)
	}
	if g := readGC(); !g.haveAll || g.cycles == 0 && g.liveHeap != 0 {
		t.Fatalf("readGC: %+v", g)
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
