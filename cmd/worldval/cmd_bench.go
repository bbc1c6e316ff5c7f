package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/examples"
	"github.com/worldval/worldval/processor"
)

// Targets of the ingest benchmark (issue 4): sustained submissions per
// second, and the 99th percentile of submission to verdict visible.
const (
	benchTargetRate = 1000
	benchTargetP99  = 20 * time.Millisecond
)

func benchIngestCommand() command {
	return command{
		name:     "bench ingest",
		synopsis: "Load the embedded service (durable sqlite) with submissions at a fixed rate over HTTP; report throughput and submission-to-verdict latency.",
		usage:    "--rate R --duration D [--concurrency C] [--returns N] [--data-dir DIR] [--cpuprofile FILE] [--memprofile FILE] [--trace FILE] [--timeline FILE]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			var o benchOptions
			fs.Float64Var(&o.rate, "rate", benchTargetRate, "target submissions per second (open loop)")
			fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to submit")
			fs.IntVar(&o.concurrency, "concurrency", 64, "most submissions in flight at once")
			fs.IntVar(&o.returns, "returns", 252, "daily returns per submission")
			fs.StringVar(&o.dataDir, "data-dir", "", "`directory` of the event store (default: a temporary directory, removed at the end)")
			fs.DurationVar(&o.drain, "drain", 30*time.Second, "how long to wait for the last verdicts after the load")
			fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the whole process (service and load) during the load to `file`")
			fs.StringVar(&o.memprofile, "memprofile", "", "write a heap profile of the whole process to `file` once the verdicts are in (what the read models hold)")
			fs.StringVar(&o.trace, "trace", "", "write an execution trace of the whole process during the load to `file` (read it with go tool trace)")
			fs.StringVar(&o.timeline, "timeline", "", "write every verdict's latency and every garbage collection's end, in time order, to `file` as CSV (event,at_ms,latency_ms)")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				switch {
				case o.rate <= 0 || o.rate > 1e6:
					return usagef("--rate %v: want a positive rate up to 1e6", o.rate)
				case o.duration <= 0 || o.duration > 24*time.Hour:
					return usagef("--duration %s: want a positive duration up to 24h", o.duration)
				case o.concurrency < 1 || o.concurrency > 4096:
					return usagef("--concurrency %d: want 1 to 4096", o.concurrency)
				case o.returns < 1 || o.returns > 100_000:
					return usagef("--returns %d: want 1 to 100000", o.returns)
				}
				return benchIngest(ctx, env, o)
			}
		},
	}
}

// benchOptions are the bench ingest settings.
type benchOptions struct {
	rate        float64
	duration    time.Duration
	concurrency int
	returns     int
	dataDir     string
	drain       time.Duration
	cpuprofile  string
	memprofile  string
	trace       string
	timeline    string
}

// benchIngest runs the benchmark and prints its report on stdout, progress
// on stderr.
func benchIngest(ctx context.Context, env *environment, o benchOptions) (err error) {
	dir := o.dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "worldval-bench-"); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	}
	watch := newVerdictWatch(o.timeline != "")
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := processor.Config{DataDir: dir, HTTP: processor.HTTPConfig{Addr: "127.0.0.1:0"}}
	svc, err := startEmbedded(ctx, cfg, log, 30*time.Second, processor.WithAppliedHook(watch.applied))
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer func() { err = errors.Join(err, svc.stop()) }()
	c, err := client.New(svc.url, client.WithRetries(0))
	if err != nil {
		return err
	}
	if _, err := c.PublishPolicy(ctx, benchWorld, examples.Policy(), client.IdempotencyKey("bench-policy")); err != nil {
		return fmt.Errorf("bench: publish the policy: %w", err)
	}
	machine := describeMachine()
	fmt.Fprintf(env.stdout, "bench ingest: %g submissions/s for %s, at most %d in flight, %d returns each; embedded service at %s, event store %s (durable: WAL, synchronous=FULL)\n",
		o.rate, o.duration, o.concurrency, o.returns, svc.url, processor.EventStorePath(dir))
	fmt.Fprintf(env.stdout, "machine: %s; load average before: %s\n", machine, loadAverage())

	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return usagef("--cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if o.trace != "" {
		f, err := os.Create(o.trace)
		if err != nil {
			return usagef("--trace: %v", err)
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer trace.Stop()
	}

	var gcw gcWatch
	if o.timeline != "" {
		gcCtx, stopGCWatch := context.WithCancel(ctx)
		defer stopGCWatch()
		go gcw.run(gcCtx)
	}
	reqs := benchRequests(64, o.returns)
	cpuBefore, schedBefore, gcBefore := processCPU(), readSchedLatencies(), readGC()
	start := time.Now().Add(50 * time.Millisecond)
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var res *loadResult
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		res = runLoad(loadCtx, c, watch, reqs, o.rate, o.duration, o.concurrency, fmt.Sprintf("r%d", start.Unix()), start)
	}()
	progressUntil(env.stderr, loadDone, start, watch)
	<-loadDone
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		drainUntil := time.Now().Add(o.drain)
		for {
			if _, pending := watch.counts(); pending == 0 || time.Now().After(drainUntil) || ctx.Err() != nil {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	progressUntil(env.stderr, drained, start, watch)
	<-drained
	cpu, sched, gc := processCPU()-cpuBefore, readSchedLatencies().since(schedBefore), readGC().since(gcBefore)
	if o.memprofile != "" {
		if err := writeHeapProfile(o.memprofile); err != nil {
			return usagef("--memprofile: %v", err)
		}
	}
	report(env.stdout, o, res, watch, start)
	if seen, _ := watch.counts(); seen > 0 {
		fmt.Fprintf(env.stdout, "process CPU (service and load generator): %.2fs, %.2f ms per verdict, a ceiling of %.0f verdicts/s on %d CPUs\n",
			cpu.Seconds(), float64(cpu)/float64(time.Millisecond)/float64(seen), float64(runtime.NumCPU())*float64(seen)/cpu.Seconds(), runtime.NumCPU())
	}
	fmt.Fprintf(env.stdout, "goroutine scheduling latency (runnable → running): %s\n", sched)
	fmt.Fprintf(env.stdout, "garbage collector during the load: %s\n", gc.describe(cpu))
	fmt.Fprintf(env.stdout, "held after the load: %s\n", measureHeld())
	if o.timeline != "" {
		if err := writeTimelineFile(o.timeline, start, watch.verdictPoints(), gcw.cycleEnds()); err != nil {
			return usagef("--timeline: %v", err)
		}
		fmt.Fprintf(env.stdout, "timeline: %s\n", o.timeline)
	}
	fmt.Fprintf(env.stdout, "load average after: %s\n", loadAverage())
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// writeTimelineFile writes the timeline (see writeTimeline) to path.
func writeTimelineFile(path string, start time.Time, verdicts []verdictPoint, gcEnds []time.Time) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(writeTimeline(f, start, verdicts, gcEnds), f.Close())
}

// writeHeapProfile writes the live heap, after a garbage collection, to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	return errors.Join(pprof.Lookup("heap").WriteTo(f, 0), f.Close())
}

// progressUntil prints a progress line every second until done is closed.
func progressUntil(w io.Writer, done <-chan struct{}, start time.Time, watch *verdictWatch) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		seen, pending := watch.counts()
		fmt.Fprintf(w, "  %4.0fs: %d verdicts visible, %d awaited; latency so far: %s\n",
			time.Since(start).Seconds(), seen, pending, watch.visible.summarize())
	}
}

// report prints the benchmark's figures and whether the targets are met.
func report(w io.Writer, o benchOptions, res *loadResult, watch *verdictWatch, start time.Time) {
	accepted := res.accepted.Load()
	window := time.Duration(res.lastAck.Load() - start.UnixNano())
	rate := 0.0
	if window > 0 {
		rate = float64(accepted) / window.Seconds()
	}
	seen, pending := watch.counts()
	vis := watch.visible.summarize()
	fmt.Fprintf(w, "submissions: %d due, %d accepted (202), %d failed; sustained %.1f/s (accepted / first due to last 202, %s)\n",
		res.sent.Load(), accepted, res.failed.Load(), rate, window.Round(time.Millisecond))
	if e := res.firstErr.Load(); e != nil {
		fmt.Fprintf(w, "first failure: %v\n", *e)
	}
	fmt.Fprintf(w, "verdicts: %d visible, %d never seen\n", seen, pending)
	fmt.Fprintf(w, "due → 202 Accepted:       %s\n", res.ack.summarize())
	fmt.Fprintf(w, "due → verdict visible:    %s\n", vis)
	fmt.Fprintf(w, "due → sender free:        %s  (open-loop queueing)\n", res.lag.summarize())
	met := rate >= 0.99*o.rate && pending == 0 && res.failed.Load() == 0 && vis.P99 <= benchTargetP99
	verdict := "NOT met"
	if met {
		verdict = "met"
	}
	fmt.Fprintf(w, "at %g/s: sustained ≥ 99%% of the rate, every verdict, p99 ≤ %s: %s", o.rate, benchTargetP99, verdict)
	if o.rate < benchTargetRate {
		fmt.Fprintf(w, " (below the %d/s target rate)", benchTargetRate)
	}
	fmt.Fprintln(w)
}

// describeMachine names the CPU, its count and the Go version.
func describeMachine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (GOMAXPROCS %d), %s, %s %s/%s", runtime.NumCPU(), runtime.GOMAXPROCS(0), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// loadAverage returns the 1, 5 and 15 minute load averages, or "unknown".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// processCPU returns the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
