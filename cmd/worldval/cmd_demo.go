package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/examples"
	"github.com/worldval/worldval/processor"
)

func demoCommand() command {
	return command{
		name:     "demo",
		synopsis: "Start the service in-process, publish the example policy and model cards, submit the example strategies and print their verdicts.",
		usage:    "[--data-dir DIR] [--http HOST:PORT] [--keep] [--timeout 2m] [--reports DIR] | --write-examples DIR",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			dataDir := fs.String("data-dir", "", "`directory` of the event store (default: a temporary directory, removed at the end unless --keep)")
			addr := fs.String("http", "127.0.0.1:0", "`host:port` the embedded service listens on (port 0: any free port)")
			keep := fs.Bool("keep", false, "leave the service running after the table, print its URL and data directory, and serve until interrupted")
			timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait for the verdicts")
			reports := fs.String("reports", "", "after the table, write each run's validation report as one HTML page to `DIR`/STRATEGY-RUN.html")
			write := fs.String("write-examples", "", "write the example policy, run files and model cards into `DIR` and exit, without starting anything")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if *write != "" {
					files, err := examples.Write(*write)
					for _, f := range files {
						fmt.Fprintln(env.stdout, f)
					}
					return err
				}
				if *timeout <= 0 {
					return usagef("--timeout %s: must be positive", *timeout)
				}
				return demo(ctx, env, demoOptions{dataDir: *dataDir, addr: *addr, keep: *keep, timeout: *timeout, reports: *reports})
			}
		},
	}
}

// demoOptions are the demo command's settings.
type demoOptions struct {
	dataDir string
	addr    string
	keep    bool
	timeout time.Duration
	// reports is the directory the runs' HTML reports are written to, ""
	// for none.
	reports string
}

// demo runs the demo: it starts the embedded service, runs the examples
// through it and prints the table; with keep it then serves until ctx is
// done.
func demo(ctx context.Context, env *environment, o demoOptions) (err error) {
	dir := o.dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "worldval-demo-"); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if !o.keep {
			defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
		}
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := processor.Config{DataDir: dir, HTTP: processor.HTTPConfig{Addr: o.addr}}
	svc, err := startEmbedded(ctx, cfg, log, 30*time.Second)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() { err = errors.Join(err, svc.stop()) }()
	fmt.Fprintf(env.stderr, "worldval demo: the service runs in-process at %s, event store in %s\n", svc.url, processor.EventStorePath(dir))

	c, err := client.New(svc.url)
	if err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	results, err := runExamples(waitCtx, env.stderr, c)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintln(env.stdout)
	printDemoTable(env.stdout, results)
	fmt.Fprintln(env.stdout)
	if o.reports != "" {
		if err := writeDemoReports(waitCtx, env.stdout, c, o.reports, results); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		fmt.Fprintln(env.stdout)
	}
	if !o.keep {
		fmt.Fprintf(env.stdout, "Each verdict above went HTTP → event store → evaluator → read models, and is on record in a hash-chained log.\n")
		if o.reports == "" {
			fmt.Fprintf(env.stdout, "Run 'worldval demo --reports DIR' for each run's validation report as an HTML page, 'worldval demo --keep' to keep the service and its data for a look around.\n")
		} else {
			fmt.Fprintf(env.stdout, "Run 'worldval demo --keep' to keep the service and its data for a look around.\n")
		}
		return nil
	}
	fmt.Fprintf(env.stdout, "The service keeps running at %s (data in %s) until you press Ctrl-C. Try:\n"+
		"  curl -s %s/worlds/%s/runs | jq -c '.runs[] | {strategy_id, stage, verdict: .summary.status}'\n"+
		"  worldval submit --server %s --run examples/runs/robust.json --run-id bt-2\n"+
		"  worldval audit verify --data-dir %s   (after Ctrl-C)\n",
		svc.url, dir, svc.url, examples.World, svc.url, dir)
	<-ctx.Done()
	return nil
}

// demoResult is one example and its verdict.
type demoResult struct {
	strategy examples.Strategy
	verdict  *client.RunMetrics
	// latency is the time from the submission's answer to the verdict's
	// sight, as the client saw it.
	latency time.Duration
}

// runExamples publishes the example policy to the examples' world and each
// example strategy's model card, then submits every example strategy through
// c: the backtests together, then the runs of later stages, which compare
// with those backtests, once their verdicts are in. Each run records the
// model card version its strategy had when it was submitted. It reports
// progress on progress and returns the verdicts in the examples' order.
func runExamples(ctx context.Context, progress io.Writer, c *client.Client) ([]demoResult, error) {
	doc := examples.Policy()
	sum := sha256.Sum256(doc)
	pub, err := c.PublishPolicy(ctx, examples.World, doc, client.IdempotencyKey("worldval-demo:"+hex.EncodeToString(sum[:8])))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "published the example policy for world %s as version %d (default version %d)\n", pub.WorldID, pub.Version, pub.DefaultVersion)
	if err := publishModelCards(ctx, progress, c); err != nil {
		return nil, err
	}
	var first, later []examples.Strategy
	for _, s := range examples.Strategies() {
		if s.Stage == "backtest" {
			first = append(first, s)
		} else {
			later = append(later, s)
		}
	}
	var results []demoResult
	for _, batch := range [][]examples.Strategy{first, later} {
		rs, err := submitBatch(ctx, progress, c, batch)
		if err != nil {
			return nil, err
		}
		results = append(results, rs...)
	}
	return results, nil
}

// publishModelCards publishes the model card of every example strategy
// through c, printing a line per card. A card already on record (a demo run
// again on the same data directory) is published again without effect.
func publishModelCards(ctx context.Context, progress io.Writer, c *client.Client) error {
	for _, id := range examples.StrategyIDs() {
		card, err := examples.ModelCard(id)
		if err != nil {
			return err
		}
		mc, err := c.PublishModelCard(ctx, id, card)
		if err != nil {
			return err
		}
		again := ""
		if !mc.Created {
			again = " (already on record)"
		}
		fmt.Fprintf(progress, "published the model card of %-13s as version %s%s\n", id, mc.Version, again)
	}
	return nil
}

// submitBatch submits the strategies, waits for all their verdicts at once
// and returns them in order, printing a line per submission and per verdict.
func submitBatch(ctx context.Context, progress io.Writer, c *client.Client, batch []examples.Strategy) ([]demoResult, error) {
	results := make([]demoResult, len(batch))
	submitted := make([]time.Time, len(batch))
	refs := make([]client.RunRef, len(batch))
	for i, s := range batch {
		req := client.SubmitRequest{StrategyID: s.StrategyID, RunID: s.RunID, Stage: s.Stage, Returns: s.Returns()}
		if m := s.Metrics(); m != nil {
			raw, err := json.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("metrics of %s: %w", s.Name, err)
			}
			req.Metrics = raw
		}
		sub, err := c.Submit(ctx, examples.World, req)
		if err != nil {
			return nil, err
		}
		submitted[i], refs[i] = time.Now(), sub.Ref()
		fmt.Fprintf(progress, "submitted %-22s %-8s %4d daily returns, search intensity %-5g %s\n",
			s.StrategyID+"/"+s.RunID, s.Stage, len(req.Returns), s.SearchIntensity, s.Description)
	}
	fmt.Fprintf(progress, "waiting for %s (HTTP → events → evaluator → read models)…\n", plural(len(batch), "verdict"))
	var mu sync.Mutex
	done := 0
	errs := make([]error, len(batch))
	var wg sync.WaitGroup
	for i := range batch {
		wg.Go(func() {
			v, err := c.WaitForVerdict(ctx, refs[i])
			if err != nil {
				errs[i] = err
				return
			}
			results[i] = demoResult{strategy: batch[i], verdict: v, latency: time.Since(submitted[i])}
			mu.Lock()
			defer mu.Unlock()
			done++
			fmt.Fprintf(progress, "  %d/%d %-22s %s after %s\n", done, len(batch), refs[i].StrategyID+"/"+refs[i].RunID,
				v.Summary.Status, results[i].latency.Round(time.Millisecond))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return results, nil
}

// printDemoTable writes one row per example: strategy, run, stage, verdict,
// recommended stage and the deciding reasons.
func printDemoTable(w io.Writer, results []demoResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STRATEGY\tRUN\tSTAGE\tVERDICT\tRECOMMENDED STAGE\tDECIDING REASONS (rules that did not pass)")
	for _, r := range results {
		v := r.verdict
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.StrategyID, v.RunID, v.Stage, strings.ToUpper(v.Summary.Status),
			v.Summary.RecommendedStage, decidingReasons(v.Validation.Results))
	}
	_ = tw.Flush() // w is the command's output; a failed write has no one to tell
}

// plural renders n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
