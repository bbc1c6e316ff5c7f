package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policydiff"
)

// listPageSize is the page size of the run listing, the service's maximum.
const listPageSize = 500

// storedRun is a listed run the diff may keep.
type storedRun struct {
	strategy, run string
	at            time.Time // updated_at, else created_at
	// doc is the metrics document when the listing decoded it, else
	// metrics holds its JSON.
	doc     map[string]any
	metrics json.RawMessage
}

// loadServerRuns pages through the evaluated runs of --world at --stage and
// selects them as the store-history variant of validation-core §11.6 does:
// runs whose updated_at (else created_at) falls in the window, the latest
// per strategy unless --all-runs, at most --max-items (the latest). Their
// recorded metrics — the document the verdict was reached on — are decoded
// and flattened with at most --workers goroutines.
func loadServerRuns(ctx context.Context, env *environment, cf *clientFlags, f *diffFlags, prog *diffProgress) (runSource, error) {
	win, err := f.window(time.Now())
	if err != nil {
		return runSource{}, err
	}
	c, err := cf.client(env)
	if err != nil {
		return runSource{}, err
	}
	src := runSource{name: fmt.Sprintf("%s world %s", c.BaseURL(), f.world)}
	prog.step("listed runs", 0, 0)
	listed, skipped, err := listStoredMetrics(ctx, env, cf, f, win, prog)
	if errors.Is(err, errNoExport) {
		listed, skipped, err = listStoredRuns(ctx, c, f, win, prog)
	}
	if err != nil {
		return runSource{}, err
	}
	src.skipped = skipped
	kept := selectStored(listed, f.allRuns, f.maxItems)
	src.skipped += len(listed) - len(kept)
	src.runs, err = decodeStored(ctx, kept, f.workers, prog)
	return src, err
}

// listStoredRuns pages through the full run listing (GET
// /worlds/{world}/runs?stage=&status=evaluated), for a service without the
// run-metrics listing. Runs outside the window are counted as skipped.
func listStoredRuns(ctx context.Context, c *client.Client, f *diffFlags, win diffWindow, prog *diffProgress) ([]storedRun, int, error) {
	var listed []storedRun
	skipped := 0
	filter := client.RunFilter{Stage: f.stage, Status: client.StatusEvaluated, Limit: listPageSize}
	for r, err := range c.Runs(ctx, f.world, filter) {
		if err != nil {
			return nil, 0, serverRunsError(err)
		}
		at := r.UpdatedAt
		if at.IsZero() {
			at = r.CreatedAt
		}
		if r.StrategyID == "" || !win.contains(at) {
			skipped++
			continue
		}
		listed = append(listed, storedRun{strategy: r.StrategyID, run: r.RunID, at: at, metrics: r.Metrics})
		if len(listed)%listPageSize == 0 {
			prog.step("listed runs", len(listed)+skipped, 0)
		}
	}
	prog.step("listed runs", len(listed)+skipped, 0)
	return listed, skipped, nil
}

// serverRunsError turns a listing failure into the command's error: the
// service refusing the request (an unknown world is an empty list, so this
// is a bad flag or token) or being unreachable is input the caller must fix,
// exit status 2, so that exit status 1 always means the gate failed.
func serverRunsError(err error) error {
	return usagef("%v", err)
}

// selectStored keeps the latest run per strategy (a later run wins a tie)
// unless all, then at most max runs, the latest; the kept runs stay in
// listing order.
func selectStored(listed []storedRun, all bool, max int) []storedRun {
	kept := listed
	if !all {
		kept = make([]storedRun, 0, len(listed))
		index := make(map[string]int, len(listed))
		for _, r := range listed {
			i, ok := index[r.strategy]
			switch {
			case !ok:
				index[r.strategy] = len(kept)
				kept = append(kept, r)
			case !r.at.Before(kept[i].at):
				kept[i] = r
			}
		}
	}
	if max > 0 && len(kept) > max {
		order := make([]int, len(kept))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return kept[order[a]].at.After(kept[order[b]].at) })
		order = order[:max]
		sort.Ints(order)
		out := make([]storedRun, len(order))
		for i, j := range order {
			out[i] = kept[j]
		}
		kept = out
	}
	return kept
}

// decodeStored flattens the recorded metrics of runs, decoding those the
// listing left encoded, with at most workers goroutines. A document that
// does not decode is reported with its run; it can only come from a service
// that is not worldval.
func decodeStored(ctx context.Context, runs []storedRun, workers int, prog *diffProgress) ([]policydiff.Run, error) {
	out := make([]policydiff.Run, len(runs))
	errs := make([]error, len(runs))
	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
	)
	for range min(workers, max(len(runs), 1)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(runs) || ctx.Err() != nil {
					return
				}
				r := &runs[i]
				doc := r.doc
				if doc == nil {
					if err := json.Unmarshal(r.metrics, &doc); err != nil {
						errs[i] = fmt.Errorf("run %s/%s: metrics: %w", r.strategy, r.run, err)
					}
				}
				out[i] = policydiff.Run{StrategyID: r.strategy, RunID: r.run, Flat: metrics.Flatten(doc)}
				r.doc, r.metrics = nil, nil
				done.Add(1)
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	prog.follow(finished, "decoded runs", &done, len(runs))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// diffWindow is the [since, until] window of stored runs.
type diffWindow struct{ since, until time.Time }

// window resolves --since, --until and --months against now.
func (f *diffFlags) window(now time.Time) (diffWindow, error) {
	w := diffWindow{until: now}
	if f.until != "" {
		t, err := time.Parse(time.RFC3339Nano, f.until)
		if err != nil {
			return w, usagef("--until %q: not an RFC 3339 time", f.until)
		}
		w.until = t
	}
	w.since = w.until.Add(-time.Duration(f.months) * 30 * 24 * time.Hour)
	if f.since != "" {
		t, err := time.Parse(time.RFC3339Nano, f.since)
		if err != nil {
			return w, usagef("--since %q: not an RFC 3339 time", f.since)
		}
		w.since = t
	}
	if w.since.After(w.until) {
		return w, usagef("--since %s is after --until %s", w.since.Format(time.RFC3339), w.until.Format(time.RFC3339))
	}
	return w, nil
}

// contains reports whether t falls in the window, bounds included.
func (w diffWindow) contains(t time.Time) bool {
	return !t.IsZero() && !t.Before(w.since) && !t.After(w.until)
}
