package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/events"
)

// serveProcess is `worldval serve` running as a child process.
type serveProcess struct {
	cmd *exec.Cmd
	url string
	// drained is closed when the child's stderr has been read to its end.
	drained chan struct{}
}

// startServeProcess runs bin serve on dataDir and a free loopback port and
// returns once it logs the address it serves; its stderr is drained until it
// exits.
func startServeProcess(t *testing.T, bin, dataDir string) *serveProcess {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--http", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, drained: make(chan struct{})}
	t.Cleanup(func() { p.kill(t) })
	lines := bufio.NewScanner(stderr)
	addrRE := regexp.MustCompile(`msg="worldval serving" http=(\S+)`)
	for lines.Scan() {
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			p.url = m[1]
			break
		}
	}
	go func() {
		defer close(p.drained)
		_, _ = io.Copy(io.Discard, stderr)
	}()
	if p.url == "" {
		t.Fatal("serve exited before it served")
	}
	return p
}

// kill sends SIGKILL and reaps the process (a no-op once it has exited).
func (p *serveProcess) kill(t *testing.T) {
	t.Helper()
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	<-p.drained
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("serve did not exit cleanly on SIGTERM: %v", err)
	}
	<-p.drained
}

// crashPolicy passes runs with a positive Sharpe ratio.
const crashPolicy = "validation_profiles:\n  backtest:\n    performance: {sharpe_min: 0.0}\ndefault_profile_by_stage: {backtest_only: backtest}\n"

// TestCrashDuringABurst runs the real binary, sends a burst of 1,000
// submissions from 16 clients, SIGKILLs the server once 300 are
// acknowledged, restarts it on the same data directory and re-sends what
// was not acknowledged. Every submission acknowledged before the crash must
// have its verdict after the restart, every run must be submitted and
// evaluated exactly once in the store, and `worldval audit verify` must find
// every hash chain intact.
func TestCrashDuringABurst(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binary")
	}
	const (
		total   = 1000
		killAt  = 300
		clients = 16
	)
	bin := buildBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	srv := startServeProcess(t, bin, dataDir)
	c, err := client.New(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishPolicy(ctx, "crash", []byte(crashPolicy), client.IdempotencyKey("crash-policy")); err != nil {
		t.Fatal(err)
	}
	request := func(i int) client.SubmitRequest {
		r := []float64{0.01, -0.004, 0.006, float64(i%7) / 1000, 0.003, -0.002, 0.008}
		return client.SubmitRequest{StrategyID: fmt.Sprintf("s%02d", i%clients), RunID: fmt.Sprintf("r%04d", i), Returns: r}
	}

	// The burst: each client sends its share until the server dies.
	acked := make([]atomic.Bool, total)
	var nAcked atomic.Int64
	var killOnce sync.Once
	var killedAt time.Time
	kill := func() {
		killOnce.Do(func() {
			killedAt = time.Now()
			_ = srv.cmd.Process.Signal(syscall.SIGKILL)
		})
	}
	burst := client.WithRetries(0)
	bc, err := client.New(srv.url, burst)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			for i := w; i < total; i += clients {
				sub, err := bc.Submit(ctx, "crash", request(i))
				if err != nil {
					return // the server is gone (or going): stop sending
				}
				if !sub.Created {
					t.Errorf("run %d answered 200 in the first burst", i)
				}
				acked[i].Store(true)
				if nAcked.Add(1) >= killAt {
					kill()
				}
			}
		})
	}
	wg.Wait()
	kill()
	srv.kill(t)
	before := nAcked.Load()
	t.Logf("burst: %d of %d acknowledged in %s, SIGKILL after %s", before, total, time.Since(started).Round(time.Millisecond), killedAt.Sub(started).Round(time.Millisecond))
	if before < killAt || before == total {
		t.Fatalf("%d acknowledged: the kill did not land mid-burst", before)
	}

	// The restart: every acknowledged run gets its verdict; the others are
	// sent again, as a client that saw no answer would.
	srv = startServeProcess(t, bin, dataDir)
	c, err = client.New(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	var resent, found atomic.Int64
	errs := make(chan error, total)
	work := make(chan int)
	wg = sync.WaitGroup{}
	for range clients {
		wg.Go(func() {
			for i := range work {
				req := request(i)
				ref := client.RunRef{WorldID: "crash", StrategyID: req.StrategyID, RunID: req.RunID}
				if !acked[i].Load() {
					sub, err := c.Submit(ctx, "crash", req)
					if err != nil {
						errs <- fmt.Errorf("re-send run %d: %w", i, err)
						continue
					}
					resent.Add(1)
					if !sub.Created {
						found.Add(1) // stored before the crash, answer lost
					}
				}
				v, err := c.WaitForVerdict(ctx, ref, client.Timeout(time.Minute))
				if err != nil {
					errs <- fmt.Errorf("run %d (acknowledged before the crash: %v): %w", i, acked[i].Load(), err)
					continue
				}
				if v.Summary.Status != client.VerdictPass {
					errs <- fmt.Errorf("run %d: verdict %s", i, v.Summary.Status)
				}
			}
		})
	}
	for i := range total {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("after the restart: %d re-sent (%d already stored, answer lost), all %d verdicts in %s", resent.Load(), found.Load(), total, time.Since(restarted).Round(time.Millisecond))
	srv.stop(t)

	// The store: one submission and one completion per run stream.
	submitted, completed := countRunEvents(t, dataDir)
	if len(submitted) != total || len(completed) != total {
		t.Errorf("%d run streams submitted and %d completed, want %d each", len(submitted), len(completed), total)
	}
	for stream, n := range completed {
		if n != 1 || submitted[stream] != 1 {
			t.Errorf("%s: %d EvaluationRunSubmitted, %d EvaluationCompleted; want exactly one each", stream, submitted[stream], n)
		}
	}
	out, err := exec.Command(bin, "audit", "verify", "--data-dir", dataDir).CombinedOutput()
	if err != nil || !regexp.MustCompile(`hash chains: ok`).Match(out) {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
}

// countRunEvents reads the whole store of dataDir and counts, per run
// stream, its EvaluationRunSubmitted and EvaluationCompleted events.
func countRunEvents(t *testing.T, dataDir string) (submitted, completed map[string]int) {
	t.Helper()
	st, _, err := openExistingStore(t.Context(), &environment{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	submitted, completed = map[string]int{}, map[string]int{}
	err = scanAll(t.Context(), st, func(rec *events.Record) error {
		switch rec.Type {
		case events.TypeEvaluationRunSubmitted:
			submitted[rec.Stream]++
		case events.TypeEvaluationCompleted:
			completed[rec.Stream]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return submitted, completed
}
