package main

import (
	"context"
	"errors"
	"flag"
	"strings"

	"github.com/worldval/worldval/validation/evaluation"
	"github.com/worldval/worldval/validation/policy"
)

func evaluateCommand() command {
	return command{
		name:     "evaluate",
		synopsis: "Evaluate one run file under a policy file, offline (no server, no store); prints the evaluated run as JSON.",
		usage:    "--policy POLICY.yml --stage STAGE --run RUN.json [--fail-closed]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			policyFile := fs.String("policy", "", "policy document, YAML or JSON")
			stage := fs.String("stage", "", "stage the run is validated for: backtest, paper, live, shadow, dryrun (default: the run file's stage, else backtest)")
			runFile := fs.String("run", "", "run file: world_id, strategy_id, run_id, metrics and/or returns, optional params; - reads standard input")
			failClosed := fs.Bool("fail-closed", false, "force validation.on_error and on_missing_metric to fail, as for a high-tier critical world")
			return func(_ context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if *policyFile == "" || *runFile == "" {
					return usagef("--policy and --run are required")
				}
				p, err := loadPolicy(env, *policyFile)
				if err != nil {
					return err
				}
				run, err := loadRun(env, *runFile)
				if err != nil {
					return err
				}
				if s := *stage; s != "" {
					if err := checkStage(s); err != nil {
						return err
					}
					run.Stage = s
				}
				res, err := policy.Resolve(p, nil, 0)
				if err != nil {
					return usagef("%v", err)
				}
				out, err := evaluation.Evaluate(res, evaluation.Request{
					WorldID: run.WorldID, StrategyID: run.StrategyID, RunID: run.RunID,
					Stage: run.Stage, RiskTier: run.RiskTier,
					Metrics: run.Metrics, Returns: run.Returns, HasReturns: run.HasReturns,
					Params: run.Params, FailClosed: *failClosed,
				})
				if err != nil {
					return usagef("%s: %v", *runFile, err)
				}
				out.Derivations = nil
				return writeJSON(env.stdout, out)
			}
		},
	}
}

// checkStage refuses a stage outside the allowed set (policy.Stages), as the
// API does, so a misspelt stage cannot fall through to another profile.
func checkStage(s string) error {
	if !policy.KnownStage(s) {
		return usagef("--stage %q: not a stage; use one of %s", s, strings.Join(policy.Stages(), ", "))
	}
	return nil
}

// loadPolicy reads and parses a policy file; a defect is a usage error that
// names the file and every offending path.
func loadPolicy(env *environment, name string) (*policy.Policy, error) {
	data, err := readInput(env, name)
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse(data)
	if err != nil {
		return nil, usagef("%s: %v", name, err)
	}
	return p, nil
}

// loadRun reads and decodes a run file.
func loadRun(env *environment, name string) (evaluation.RunFile, error) {
	data, err := readInput(env, name)
	if err != nil {
		return evaluation.RunFile{}, err
	}
	rf, err := evaluation.DecodeRunFile(data)
	if err != nil {
		var fe *evaluation.FieldError
		if errors.As(err, &fe) {
			return rf, usagef("%s: %s: %s", name, fe.Path, fe.Message)
		}
		return rf, usagef("%s: %v", name, err)
	}
	return rf, nil
}
