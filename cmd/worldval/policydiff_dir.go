package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policydiff"
)

// ioPerWorker is how many files each worker has in flight.
const ioPerWorker = 4

// loadRunsDir reads every run file (*.json) of dir, in name order, with at
// most workers goroutines: each file is decoded as `worldval evaluate --run`
// decodes it, its metrics are derived from its returns by the evaluation
// pipeline (steps 1–4 of validation-core §4.11, at stage) and flattened once
// for both policies. A file that does not parse is a usage error naming the
// file and the offending path; so is a directory without run files.
func loadRunsDir(ctx context.Context, dir, stage string, workers int, prog *diffProgress) (runSource, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return runSource{}, usagef("--runs-dir: %v", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return runSource{}, usagef("--runs-dir %s: no run files (*.json)", dir)
	}
	runs := make([]policydiff.Run, len(files))
	errs := make([]error, len(files))
	var (
		next, done atomic.Int64
		failed     atomic.Bool
		wg         sync.WaitGroup
	)
	prog.step("read run files", 0, len(files))
	// Reading a file mostly waits for the file system: a few goroutines
	// per worker keep the processors busy while others wait.
	for range min(ioPerWorker*workers, len(files)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || failed.Load() || ctx.Err() != nil {
					return
				}
				runs[i], errs[i] = loadDiffRun(files[i], stage)
				if errs[i] != nil {
					failed.Store(true)
				}
				done.Add(1)
			}
		})
	}
	wait := make(chan struct{})
	go func() { wg.Wait(); close(wait) }()
	prog.follow(wait, "read run files", &done, len(files))
	if err := ctx.Err(); err != nil {
		return runSource{}, err
	}
	// The first failing file in name order, so that the error does not
	// depend on scheduling.
	if err := errors.Join(errs...); err != nil {
		for _, e := range errs {
			if e != nil {
				return runSource{}, e
			}
		}
	}
	src := runSource{runs: runs, name: dir}
	for _, r := range runs {
		if r.StrategyID == "" {
			src.skipped++
		}
	}
	return src, nil
}

// loadDiffRun reads, decodes, derives and flattens one run file.
func loadDiffRun(file, stage string) (policydiff.Run, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return policydiff.Run{}, usagef("%v", err)
	}
	rf, err := evaluation.DecodeRunFile(data)
	if err != nil {
		var fe *evaluation.FieldError
		if errors.As(err, &fe) {
			return policydiff.Run{}, usagef("%s: %s: %s", file, fe.Path, fe.Message)
		}
		return policydiff.Run{}, usagef("%s: %v", file, err)
	}
	doc, _, err := evaluation.Metrics(evaluation.Request{
		WorldID: rf.WorldID, StrategyID: rf.StrategyID, RunID: rf.RunID, Stage: stage, RiskTier: rf.RiskTier,
		Metrics: rf.Metrics, Returns: rf.Returns, HasReturns: rf.HasReturns, Params: rf.Params,
	})
	if err != nil {
		return policydiff.Run{}, usagef("%s: %v", file, err)
	}
	return policydiff.Run{StrategyID: rf.StrategyID, RunID: rf.RunID, Flat: metrics.Flatten(doc)}, nil
}
