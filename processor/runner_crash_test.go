package processor_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/processor"
)

// Environment of the crash test's child process.
const (
	crashEnvDB   = "WORLDVAL_RUNNER_CRASH_DB"   // the store file
	crashEnvLog  = "WORLDVAL_RUNNER_CRASH_LOG"  // the handler's log
	crashEnvStop = "WORLDVAL_RUNNER_CRASH_STOP" // "head": stop cleanly at the head
)

// TestRunnerCrashChild is the child side of TestRunnerCrashAndRestart; run
// directly (without its environment) it does nothing. It runs a runner whose
// handler appends "position" lines to a log, fsynced, slowly enough to be
// killed mid-stream. With crashEnvStop=head it cancels itself once the head
// is handled, so the runner returns through its normal stop path.
func TestRunnerCrashChild(t *testing.T) {
	dbPath := os.Getenv(crashEnvDB)
	if dbPath == "" {
		return
	}
	s := runnerStore(t, dbPath)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start, err := s.Checkpoint(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.OpenFile(os.Getenv(crashEnvLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	write := func(line string) {
		if _, err := log.WriteString(line + "\n"); err != nil {
			t.Error(err)
		}
		if err := log.Sync(); err != nil {
			t.Error(err)
		}
	}
	write(fmt.Sprintf("start %d", start))
	stopAtHead := os.Getenv(crashEnvStop) == "head"
	h := func(_ context.Context, rec events.Record) error {
		write(strconv.FormatUint(rec.GlobalPosition, 10))
		time.Sleep(time.Millisecond)
		if stopAtHead && rec.GlobalPosition == head {
			cancel()
		}
		return nil
	}
	run, err := processor.NewRunner(s, s, h, processor.RunnerConfig{Name: "crash", CheckpointEvery: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRunnerCrashAndRestart runs the runner in a child process, kills it
// with SIGKILL mid-stream, restarts it, and checks that every event was
// handled at least once and in order, that the restart resumed from the saved
// checkpoint (re-delivering only events after it), and that the final
// checkpoint equals the head.
func TestRunnerCrashAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test runs child processes")
	}
	dir := t.TempDir()
	dbPath, logPath := filepath.Join(dir, "events.db"), filepath.Join(dir, "handled.log")
	const n = 240
	func() {
		s := runnerStore(t, dbPath)
		runnerAppend(t, s, "crash", n)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}()

	child := func(stop string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRunnerCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnvDB+"="+dbPath, crashEnvLog+"="+logPath, crashEnvStop+"="+stop)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd
	}

	// First run: kill it once it has handled a third of the events.
	first := child("")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(handledLines(t, logPath)) < n/3 {
		if time.Now().After(deadline) {
			_ = first.Process.Kill()
			t.Fatal("child made no progress")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("first child ended with %v, want killed", err)
	}

	// Second run: until the head, then a clean stop.
	second := child("head")
	if err := second.Run(); err != nil {
		t.Fatalf("second child: %v", err)
	}

	runs := parseRuns(t, handledLines(t, logPath))
	if len(runs) != 2 {
		t.Fatalf("%d runs in the log, want 2", len(runs))
	}
	killed, restarted := runs[0], runs[1]
	if killed.start != 0 {
		t.Fatalf("first run started after %d, want 0", killed.start)
	}
	lastKilled := killed.last()
	if lastKilled >= n {
		t.Fatalf("the first run handled everything (%d) before the kill; the test proves nothing", lastKilled)
	}
	// The restart resumes from the checkpoint saved before the kill: never
	// beyond what was handled, and at most one checkpoint interval behind.
	if restarted.start > lastKilled || lastKilled-restarted.start > 7 {
		t.Fatalf("restart after %d, but the killed run handled up to %d", restarted.start, lastKilled)
	}
	for _, r := range runs {
		for i, p := range r.handled {
			if p != r.start+uint64(i)+1 {
				t.Fatalf("run after %d handled %v: not consecutive from %d", r.start, r.handled, r.start+1)
			}
		}
	}
	if restarted.last() != n {
		t.Fatalf("restarted run ended at %d, want %d", restarted.last(), n)
	}
	redelivered := lastKilled - restarted.start
	t.Logf("killed after position %d, restarted after checkpoint %d: %d events delivered twice", lastKilled, restarted.start, redelivered)

	s := runnerStore(t, dbPath)
	head, _ := s.Head(context.Background())
	cp, err := s.Checkpoint(context.Background(), "crash")
	if err != nil || cp != head || head != n {
		t.Fatalf("final checkpoint %d (%v), head %d, want both %d", cp, err, head, n)
	}
}

// crashRun is one child run as its log shows it.
type crashRun struct {
	start   uint64
	handled []uint64
}

func (r crashRun) last() uint64 {
	if len(r.handled) == 0 {
		return r.start
	}
	return r.handled[len(r.handled)-1]
}

func handledLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func parseRuns(t *testing.T, lines []string) []crashRun {
	t.Helper()
	var runs []crashRun
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "start "); ok {
			start, err := strconv.ParseUint(rest, 10, 64)
			if err != nil {
				t.Fatalf("bad log line %q", l)
			}
			runs = append(runs, crashRun{start: start})
			continue
		}
		p, err := strconv.ParseUint(l, 10, 64)
		if err != nil || len(runs) == 0 {
			t.Fatalf("bad log line %q", l)
		}
		runs[len(runs)-1].handled = append(runs[len(runs)-1].handled, p)
	}
	return runs
}
