package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/processor"
)

// benchDiffRuns is the number of runs of the policy diff benchmarks:
// WORLDVAL_BENCH_DIFF_RUNS, else 5,000, which keeps `make bench` short
// (BENCHMARKS.md records 100,000).
func benchDiffRuns(b *testing.B) int {
	if s := os.Getenv("WORLDVAL_BENCH_DIFF_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("WORLDVAL_BENCH_DIFF_RUNS=%q: want a positive integer", s)
		}
		return n
	}
	return 5_000
}

// benchDiffPolicies writes the regression policy (old) and a copy with a
// higher Sharpe bar (new) into dir.
func benchDiffPolicies(b *testing.B, dir string) (string, string) {
	data, err := os.ReadFile(badPolicy)
	if err != nil {
		b.Fatal(err)
	}
	oldFile, newFile := filepath.Join(dir, "old.yml"), filepath.Join(dir, "new.yml")
	neu := bytes.Replace(data, []byte("sharpe_min: 0.05"), []byte("sharpe_min: 0.07"), 1)
	if err := os.WriteFile(oldFile, data, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(newFile, neu, 0o644); err != nil {
		b.Fatal(err)
	}
	return oldFile, newFile
}

// benchMetrics draws a stored run's metrics document: every block the
// evaluator records, with values spread around the regression policy's bars.
func benchMetrics(rng *rand.Rand) map[string]any {
	sharpe := 0.02 + 0.12*rng.Float64()
	return map[string]any{
		"returns": map[string]any{"sharpe": sharpe, "max_drawdown": 0.3 * rng.Float64(), "gain_to_pain_ratio": 2 * rng.Float64(),
			"time_under_water_ratio": rng.Float64(), "var_p01": 0.03 * rng.Float64(), "es_p01": 0.06 * rng.Float64(), "max_time_under_water_days": float64(rng.IntN(200))},
		"sample": map[string]any{"effective_history_years": 1 + 4*rng.Float64(), "n_trades_total": float64(252 + rng.IntN(1000)), "n_trades_per_year": 252.0,
			"regime_coverage": map[string]any{"low_vol": 0.3, "mid_vol": 0.4, "high_vol": 0.3}},
		"risk": map[string]any{"adv_utilization_p95": 0.25 * rng.Float64(), "participation_rate_p95": 0.12 * rng.Float64()},
		"robustness": map[string]any{"deflated_sharpe_ratio": 0.8 + 0.2*rng.Float64(), "probabilistic_sharpe_ratio": rng.Float64(),
			"sharpe_first_half": sharpe + 0.05*rng.NormFloat64(), "sharpe_second_half": sharpe + 0.05*rng.NormFloat64(),
			"cv_folds": 5.0, "cv_sharpe_mean": 1.1, "cv_sharpe_std": 0.3},
		"diagnostics": map[string]any{"search_intensity": 3.0, "strategy_complexity": 1.69},
	}
}

// BenchmarkPolicyDiffRunsDir runs `worldval policy diff --runs-dir` in
// process over a directory of run files carrying stored metrics (the
// directory is written once; the file system cache is warm).
func BenchmarkPolicyDiffRunsDir(b *testing.B) {
	n := benchDiffRuns(b)
	dir := b.TempDir()
	oldFile, newFile := benchDiffPolicies(b, dir)
	runs := filepath.Join(dir, "runs")
	if err := os.Mkdir(runs, 0o755); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		data, err := json.Marshal(map[string]any{"world_id": "w", "strategy_id": fmt.Sprintf("s%06d", i), "run_id": "r1", "stage": "backtest", "metrics": benchMetrics(rng)})
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(runs, fmt.Sprintf("run-%06d.json", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	benchDiffCommand(b, n, "--old", oldFile, "--new", newFile, "--stage", "backtest", "--runs-dir", runs)
}

// BenchmarkPolicyDiffServer runs `worldval policy diff --world` in process
// against an embedded service holding n evaluated runs (stored once: n
// submissions through the API, then every verdict awaited).
func BenchmarkPolicyDiffServer(b *testing.B) {
	n := benchDiffRuns(b)
	dir := b.TempDir()
	oldFile, newFile := benchDiffPolicies(b, dir)
	cfg := processor.Config{DataDir: filepath.Join(dir, "data"), HTTP: processor.HTTPConfig{Addr: "127.0.0.1:0"}}
	svc, err := startEmbedded(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := svc.stop(); err != nil {
			b.Error(err)
		}
	}()
	seedDiffRuns(b, svc.url, oldFile, n)
	benchDiffCommand(b, n, "--old", oldFile, "--new", newFile, "--stage", "backtest", "--server", svc.url, "--world", "w")
}

// seedDiffRuns publishes the policy and stores n evaluated runs.
func seedDiffRuns(b *testing.B, url, policyFile string, n int) {
	ctx := b.Context()
	c, err := client.New(url)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := os.ReadFile(policyFile)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.PublishPolicy(ctx, "w", doc); err != nil {
		b.Fatal(err)
	}
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for w := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range work {
				raw, _ := json.Marshal(benchMetrics(rng))
				if _, err := c.Submit(ctx, "w", client.SubmitRequest{StrategyID: fmt.Sprintf("s%06d", i), RunID: "r1", Stage: "backtest", Metrics: raw}); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	for deadline := time.Now().Add(time.Hour); ; {
		page, err := c.ListRuns(ctx, "w", client.RunFilter{Status: client.StatusEvaluating, Limit: 1}, "")
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Runs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("runs still evaluating after an hour")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// benchDiffCommand times the command with args over n runs.
func benchDiffCommand(b *testing.B, n int, args ...string) {
	out := filepath.Join(b.TempDir(), "diff.json")
	args = append([]string{"policy", "diff", "--quiet", "--fail-impact-ratio", "1", "--out", out}, args...)
	cpu0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		var stderr bytes.Buffer
		if code := run(b.Context(), args, &environment{stdout: io.Discard, stderr: &stderr, getenv: func(string) string { return "" }}); code != exitOK && code != exitFailure {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	b.StopTimer()
	b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	var rep struct {
		Total    int `json:"total_strategies"`
		Affected int `json:"strategies_affected"`
	}
	if err := json.Unmarshal(data, &rep); err != nil || rep.Total != n || rep.Affected == 0 {
		b.Fatalf("report: %+v (%v), want %d strategies, some affected", rep, err, n)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}
