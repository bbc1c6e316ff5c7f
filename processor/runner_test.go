package processor_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/processor"
)

// runnerStore opens a real sqlite store at path (a fresh one when path is
// empty), closed at the end of the test.
func runnerStore(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "events.db")
	}
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// runnerAppend appends n tick events, spread over three streams, with
// idempotency keys derived from tag.
func runnerAppend(t testing.TB, s eventstore.Store, tag string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("%s-%d", tag, i)
		ev := events.Event{ID: events.IDFromKey(key), Type: "Tick", SchemaVersion: 1, IdempotencyKey: key, Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))}
		if _, err := s.Append(context.Background(), fmt.Sprintf("tick/%s/%d", tag, i%3), eventstore.Any{}, ev); err != nil {
			t.Fatal(err)
		}
	}
}

// recorder is a handler that records the positions it handled and signals
// when it reached a position.
type recorder struct {
	mu      sync.Mutex
	seen    []uint64
	reached map[uint64]chan struct{}
	fail    func(pos uint64) error
}

func newRecorder() *recorder { return &recorder{reached: make(map[uint64]chan struct{})} }

func (r *recorder) handle(_ context.Context, rec events.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(rec.GlobalPosition); err != nil {
			return err
		}
	}
	r.seen = append(r.seen, rec.GlobalPosition)
	if ch, ok := r.reached[rec.GlobalPosition]; ok {
		close(ch)
		delete(r.reached, rec.GlobalPosition)
	}
	return nil
}

// at returns a channel closed once the handler handled position pos.
func (r *recorder) at(pos uint64) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan struct{})
	if slices.Contains(r.seen, pos) {
		close(ch)
	} else {
		r.reached[pos] = ch
	}
	return ch
}

func (r *recorder) positions() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// startRunner runs a runner in the background; stop cancels it and returns
// Run's result.
func startRunner(t *testing.T, run *processor.Runner) (stop func() error, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- run.Run(ctx) }()
	t.Cleanup(cancel)
	return func() error {
		cancel()
		select {
		case err := <-ch:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("runner did not stop within 5s of cancellation")
			return nil
		}
	}, ch
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	for p := from; p <= to; p++ {
		out = append(out, p)
	}
	return out
}

func newTestRunner(t *testing.T, s *sqlite.Store, h eventstore.Handler, cfg processor.RunnerConfig) *processor.Runner {
	t.Helper()
	r, err := processor.NewRunner(s, s, h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunnerProcessesStoredAndLiveEventsInOrder(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "a", 40)
	rec := newRecorder()
	stop, _ := startRunner(t, newTestRunner(t, s, rec.handle, processor.RunnerConfig{Name: "proj"}))
	waitFor(t, rec.at(40), "the stored events")
	runnerAppend(t, s, "b", 25) // live, after the catch-up
	waitFor(t, rec.at(65), "the live events")
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v on cancellation, want nil", err)
	}
	if got := rec.positions(); !slices.Equal(got, seq(1, 65)) {
		t.Fatalf("handled %v, want 1..65 in order", got)
	}
	if cp, _ := s.Checkpoint(context.Background(), "proj"); cp != 65 {
		t.Fatalf("checkpoint %d, want 65", cp)
	}
}

func TestRunnerCancelStopsPromptlyAndSavesTheCheckpoint(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "a", 30)
	rec := newRecorder()
	// Count and time never trigger a save: only the flush on stop does.
	stop, _ := startRunner(t, newTestRunner(t, s, rec.handle, processor.RunnerConfig{Name: "proj", CheckpointEvery: 1_000_000}))
	waitFor(t, rec.at(30), "the events")
	if cp, _ := s.Checkpoint(context.Background(), "proj"); cp != 0 {
		t.Fatalf("checkpoint %d before stop, want 0 (no save due yet)", cp)
	}
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("stop took %v", d)
	}
	if cp, _ := s.Checkpoint(context.Background(), "proj"); cp != 30 {
		t.Fatalf("checkpoint %d after stop, want 30", cp)
	}
}

func TestRunnerCancelDuringABlockedHandler(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "a", 10)
	entered := make(chan struct{})
	h := func(ctx context.Context, rec events.Record) error {
		if rec.GlobalPosition == 6 {
			close(entered)
			<-ctx.Done()
			return fmt.Errorf("handler interrupted: %w", ctx.Err())
		}
		return nil
	}
	stop, _ := startRunner(t, newTestRunner(t, s, h, processor.RunnerConfig{Name: "proj", CheckpointEvery: 100}))
	waitFor(t, entered, "the blocking handler")
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil on cancellation", err)
	}
	if cp, _ := s.Checkpoint(context.Background(), "proj"); cp != 5 {
		t.Fatalf("checkpoint %d, want 5 (the interrupted event 6 is not done)", cp)
	}
}

func TestRunnerHandlerFailureStopsAtThePositionAndResumes(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "a", 30)
	boom := errors.New("boom")
	rec := newRecorder()
	rec.fail = func(pos uint64) error {
		if pos == 17 {
			return boom
		}
		return nil
	}
	cfg := processor.RunnerConfig{Name: "proj", CheckpointEvery: 5}
	run := newTestRunner(t, s, rec.handle, cfg)
	err := run.Run(context.Background())
	var he *processor.HandlerError
	if !errors.As(err, &he) || !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want a HandlerError wrapping boom", err)
	}
	if he.Position != 17 || he.Runner != "proj" || he.Type != "Tick" || he.EventID == "" {
		t.Fatalf("HandlerError %+v", he)
	}
	if cp, _ := s.Checkpoint(context.Background(), "proj"); cp != 16 {
		t.Fatalf("checkpoint %d after the failure, want 16", cp)
	}

	// Restart with the fault gone: delivery resumes at the failed event.
	rec2 := newRecorder()
	stop, _ := startRunner(t, newTestRunner(t, s, rec2.handle, cfg))
	waitFor(t, rec2.at(30), "the remaining events")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := rec2.positions(); !slices.Equal(got, seq(17, 30)) {
		t.Fatalf("after restart handled %v, want 17..30", got)
	}
	if cp, _ := s.Checkpoint(context.Background(), "proj"); cp != 30 {
		t.Fatalf("checkpoint %d, want 30", cp)
	}
}

// savesRecorder wraps the real store's checkpoints and records every save.
type savesRecorder struct {
	eventstore.Checkpoints
	mu    sync.Mutex
	saves []uint64
	fail  error
}

func (c *savesRecorder) SaveCheckpoint(ctx context.Context, name string, pos uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.saves = append(c.saves, pos)
	return c.Checkpoints.SaveCheckpoint(ctx, name, pos)
}

func (c *savesRecorder) saved() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.saves)
}

func TestRunnerCheckpointsEveryNEvents(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "a", 25)
	cps := &savesRecorder{Checkpoints: s}
	rec := newRecorder()
	run, err := processor.NewRunner(s, cps, rec.handle, processor.RunnerConfig{Name: "proj", CheckpointEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	stop, _ := startRunner(t, run)
	waitFor(t, rec.at(25), "the events")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := cps.saved(); !slices.Equal(got, []uint64{10, 20, 25}) {
		t.Fatalf("saves %v, want [10 20 25] (every 10, then the flush on stop)", got)
	}
}

func TestRunnerCheckpointsByTimeWhileIdle(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "a", 5)
	cps := &savesRecorder{Checkpoints: s}
	rec := newRecorder()
	run, err := processor.NewRunner(s, cps, rec.handle, processor.RunnerConfig{Name: "proj", CheckpointEvery: 1000, CheckpointInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop, _ := startRunner(t, run)
	waitFor(t, rec.at(5), "the events")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if cp, _ := s.Checkpoint(context.Background(), "proj"); cp == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the idle runner never saved its checkpoint by time")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := cps.saved(); !slices.Equal(got, []uint64{5}) {
		t.Fatalf("saves %v, want one save of 5 (nothing new to flush on stop)", got)
	}
}

func TestRunnerReportsFailedSaves(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "a", 3)
	disk := errors.New("disk full")
	for _, cfg := range []processor.RunnerConfig{
		{Name: "by-count"},
		{Name: "by-time", CheckpointEvery: 1000, CheckpointInterval: 10 * time.Millisecond},
	} {
		t.Run(cfg.Name, func(t *testing.T) {
			cps := &savesRecorder{Checkpoints: s, fail: disk}
			run, err := processor.NewRunner(s, cps, func(context.Context, events.Record) error { return nil }, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := run.Run(ctx); !errors.Is(err, disk) || ctx.Err() != nil {
				t.Fatalf("Run = %v, want the save error before the deadline", err)
			}
		})
	}
	// A failed final save is reported even on cancellation.
	cps := &savesRecorder{Checkpoints: s}
	rec := newRecorder()
	run, _ := processor.NewRunner(s, cps, rec.handle, processor.RunnerConfig{Name: "flush", CheckpointEvery: 1000})
	stop, _ := startRunner(t, run)
	waitFor(t, rec.at(3), "the events")
	cps.mu.Lock()
	cps.fail = disk
	cps.mu.Unlock()
	if err := stop(); !errors.Is(err, disk) {
		t.Fatalf("Run = %v, want the flush error", err)
	}
}

func TestRunnerStopsWhenTheStoreCloses(t *testing.T) {
	s := runnerStore(t, "")
	runnerAppend(t, s, "a", 3)
	rec := newRecorder()
	_, done := startRunner(t, newTestRunner(t, s, rec.handle, processor.RunnerConfig{Name: "proj"}))
	waitFor(t, rec.at(3), "the events")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Fatalf("Run = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("runner still running after the store closed")
	}
}

func TestNewRunnerValidates(t *testing.T) {
	s := runnerStore(t, "")
	h := func(context.Context, events.Record) error { return nil }
	for name, tc := range map[string]struct {
		store eventstore.Store
		cps   eventstore.Checkpoints
		h     eventstore.Handler
		cfg   processor.RunnerConfig
	}{
		"nil store":          {nil, s, h, processor.RunnerConfig{Name: "x"}},
		"nil checkpoints":    {s, nil, h, processor.RunnerConfig{Name: "x"}},
		"nil handler":        {s, s, nil, processor.RunnerConfig{Name: "x"}},
		"no name":            {s, s, h, processor.RunnerConfig{}},
		"negative every":     {s, s, h, processor.RunnerConfig{Name: "x", CheckpointEvery: -1}},
		"negative interval":  {s, s, h, processor.RunnerConfig{Name: "x", CheckpointInterval: -time.Second}},
		"negative flush max": {s, s, h, processor.RunnerConfig{Name: "x", FlushTimeout: -time.Second}},
	} {
		if _, err := processor.NewRunner(tc.store, tc.cps, tc.h, tc.cfg); err == nil {
			t.Errorf("%s: NewRunner accepted it", name)
		}
	}
	r, err := processor.NewRunner(s, s, h, processor.RunnerConfig{Name: "x"})
	if err != nil || r.Name() != "x" {
		t.Fatalf("NewRunner = %v, %v", r, err)
	}
	cfg := processor.RunnerConfig{Name: "x"}
	cfg.SetDefaults()
	if cfg.CheckpointEvery != 1 || cfg.FlushTimeout != processor.DefaultRunnerFlushTimeout || cfg.Validate() != nil {
		t.Fatalf("defaults %+v", cfg)
	}
}
