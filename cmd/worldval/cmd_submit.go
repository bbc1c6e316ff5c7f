package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/worldval/worldval/client"
)

func submitCommand() command {
	return command{
		name:     "submit",
		synopsis: "Submit a run to a running service and print its verdict when it arrives (exit 0 whatever the verdict).",
		usage:    "--world W --strategy S [--stage backtest] --returns FILE [--metrics FILE] | --run RUN.json  [--server URL] [--run-id R] [--idempotency-key K] [--wait 30s] [--token-env VAR] [--json]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			cf := declareClientFlags(fs)
			var f submitFlags
			fs.StringVar(&f.world, "world", "", "world `id` (default: the run file's)")
			fs.StringVar(&f.strategy, "strategy", "", "strategy `id` (default: the run file's)")
			fs.StringVar(&f.stage, "stage", "", "`stage` the run is validated for: backtest, paper, shadow, live, dryrun (default: the run file's, else backtest)")
			fs.StringVar(&f.returns, "returns", "", "per-period simple returns `file`: a JSON array of numbers (null allowed) or a one-column CSV; - reads standard input")
			fs.StringVar(&f.metrics, "metrics", "", "metrics document `file` (JSON object of blocks, e.g. {\"diagnostics\": {\"search_intensity\": 200}})")
			fs.StringVar(&f.runFile, "run", "", "run `file` in the format of 'worldval evaluate --run' (world_id, strategy_id, run_id, stage, metrics, returns, params); flags override its fields")
			fs.StringVar(&f.runID, "run-id", "", "run `id` (default: the run file's, else derived from the idempotency key, else chosen by the service)")
			fs.StringVar(&f.key, "idempotency-key", "", "idempotency `key`: a retry with the same key records nothing and answers with the same run")
			fs.DurationVar(&f.wait, "wait", 30*time.Second, "how long to wait for the verdict; 0 prints the submission and returns at once")
			asJSON := fs.Bool("json", false, "print JSON (the verdict as the API answers it) instead of text")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				world, req, err := f.request(env)
				if err != nil {
					return err
				}
				c, err := cf.client(env)
				if err != nil {
					return err
				}
				return submitAndWait(ctx, env, c, world, req, f.wait, *asJSON)
			}
		},
	}
}

// submitFlags are the submit command's flags that shape the request.
type submitFlags struct {
	world, strategy, stage    string
	returns, metrics, runFile string
	runID, key                string
	wait                      time.Duration
}

// request builds the submission from the run file, if any, and the flags,
// which override its fields.
func (f *submitFlags) request(env *environment) (string, client.SubmitRequest, error) {
	var req client.SubmitRequest
	world := f.world
	if f.wait < 0 {
		return "", req, usagef("--wait %s: must not be negative", f.wait)
	}
	if f.runFile != "" {
		rf, err := loadRun(env, f.runFile)
		if err != nil {
			return "", req, err
		}
		if world == "" {
			world = rf.WorldID
		}
		req = client.SubmitRequest{StrategyID: rf.StrategyID, RunID: rf.RunID, Stage: rf.Stage, RiskTier: rf.RiskTier}
		if rf.HasReturns {
			req.Returns = rf.Returns
		}
		if rf.Metrics != nil {
			if req.Metrics, err = json.Marshal(rf.Metrics); err != nil {
				return "", req, fmt.Errorf("%s: metrics: %w", f.runFile, err)
			}
		}
		if p := rf.Params; p.PeriodsPerYear != 0 || p.RiskFreeRate != 0 || p.TransactionCost != 0 {
			req.Params = &client.Params{PeriodsPerYear: p.PeriodsPerYear, RiskFreeRate: p.RiskFreeRate, TransactionCost: p.TransactionCost}
		}
	}
	for _, o := range []struct {
		dst *string
		v   string
	}{
		{&req.StrategyID, f.strategy}, {&req.RunID, f.runID}, {&req.IdempotencyKey, f.key},
	} {
		if o.v != "" {
			*o.dst = o.v
		}
	}
	if f.stage != "" {
		if err := checkStage(f.stage); err != nil {
			return "", req, err
		}
		req.Stage = f.stage
	}
	if f.returns != "" {
		series, err := readReturns(env, f.returns)
		if err != nil {
			return "", req, err
		}
		req.Returns = series
	}
	if f.metrics != "" {
		data, err := readInput(env, f.metrics)
		if err != nil {
			return "", req, err
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
			return "", req, usagef("%s: not a JSON object of metric blocks", f.metrics)
		}
		req.Metrics = json.RawMessage(data)
	}
	switch {
	case world == "":
		return "", req, usagef("--world is required (or a --run file that names its world_id)")
	case req.StrategyID == "":
		return "", req, usagef("--strategy is required (or a --run file that names its strategy_id)")
	case req.Returns == nil && req.Metrics == nil:
		return "", req, usagef("--returns, --metrics or --run is required: the run needs something to evaluate")
	}
	return world, req, nil
}

// submitAndWait submits req to world, then waits up to wait for the verdict
// and prints it (text or JSON) on stdout; progress goes to stderr.
func submitAndWait(ctx context.Context, env *environment, c *client.Client, world string, req client.SubmitRequest, wait time.Duration, asJSON bool) error {
	sub, err := c.Submit(ctx, world, req)
	if err != nil {
		return apiFailure(err)
	}
	how := "accepted"
	if !sub.Created {
		how = "already recorded (a retry)"
	}
	fmt.Fprintf(env.stderr, "submitted %s: %s, %s\n", sub.Ref(), how, sub.Status)
	if wait == 0 {
		if asJSON {
			return writeJSON(env.stdout, sub)
		}
		fmt.Fprintf(env.stdout, "%s: %s (%s%s)\n", sub.Ref(), sub.Status, c.BaseURL(), sub.Links.Metrics)
		return nil
	}
	v, err := c.WaitForVerdict(ctx, sub.Ref(), client.Timeout(wait))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no verdict within --wait %s: %w", wait, err)
		}
		return err
	}
	if asJSON {
		return writeJSON(env.stdout, v)
	}
	printVerdict(env.stdout, v)
	return nil
}
