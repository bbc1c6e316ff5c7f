package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/worldval/worldval/validation/policydiff"
)

func policyDiffCommand() command {
	return command{
		name: "policy diff",
		synopsis: "Re-evaluate stored runs under an old and a new policy and report which strategies change outcome, the impact ratio and the gate " +
			"(exit 1 when impact_ratio ≥ --fail-impact-ratio, 2 on bad input or unreadable runs).",
		usage: "--old A.yml --new B.yml --stage STAGE (--world W [--server URL] | --runs-dir DIR) [--fail-impact-ratio 0.05] [--format json|md] [--out FILE]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			cf := declareClientFlags(fs)
			var f diffFlags
			fs.StringVar(&f.old, "old", "", "the current policy `file` (YAML or JSON)")
			fs.StringVar(&f.new, "new", "", "the proposed policy `file` (YAML or JSON)")
			fs.StringVar(&f.stage, "stage", "", "`stage` both policies are evaluated for (backtest, paper, shadow, live, dryrun); with --world only runs of this stage are read")
			fs.StringVar(&f.world, "world", "", "read the runs of this world `id` from the service at --server (its evaluated runs, the latest per strategy)")
			fs.StringVar(&f.runsDir, "runs-dir", "", "read the runs from the run files (*.json, the 'worldval evaluate --run' format) in this `directory` instead")
			fs.Float64Var(&f.failRatio, "fail-impact-ratio", policydiff.DefaultFailImpactRatio, "the gate fails when impact_ratio ≥ this `ratio` (0 to 1)")
			fs.StringVar(&f.format, "format", "json", "output `format`: json or md")
			fs.StringVar(&f.out, "out", "", "write the report to this `file` instead of standard output")
			fs.BoolVar(&f.allRuns, "all-runs", false, "with --world: keep every run (keyed strategy@run_id) instead of the latest per strategy")
			fs.StringVar(&f.since, "since", "", "with --world: keep runs updated at or after this RFC 3339 `time` (default: --until minus 30·--months days)")
			fs.StringVar(&f.until, "until", "", "with --world: keep runs updated at or before this RFC 3339 `time` (default: now)")
			fs.IntVar(&f.months, "months", 12, "with --world: the window's length in `months` of 30 days when --since is not given")
			fs.IntVar(&f.maxItems, "max-items", 0, "with --world: keep at most this many runs, the latest (0: all)")
			fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "goroutines that decode, derive and flatten runs")
			fs.BoolVar(&f.quiet, "quiet", false, "do not print progress on standard error")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if err := f.check(); err != nil {
					return err
				}
				return runPolicyDiff(ctx, env, cf, &f)
			}
		},
	}
}

// diffFlags are the policy diff command's flags.
type diffFlags struct {
	old, new, stage, world, runsDir string
	failRatio                       float64
	format, out                     string
	allRuns                         bool
	since, until                    string
	months, maxItems, workers       int
	quiet                           bool
}

// check refuses flag combinations that cannot run.
func (f *diffFlags) check() error {
	switch {
	case f.old == "" || f.new == "":
		return usagef("--old and --new are required")
	case f.stage == "":
		return usagef("--stage is required")
	case (f.world == "") == (f.runsDir == ""):
		return usagef("give either --world (runs from the service) or --runs-dir (run files), not both or neither")
	case math.IsNaN(f.failRatio) || f.failRatio < 0 || f.failRatio > 1:
		return usagef("--fail-impact-ratio %v: must be a ratio from 0 to 1", f.failRatio)
	case f.format != "json" && f.format != "md":
		return usagef("--format %q: want json or md", f.format)
	case f.workers < 1:
		return usagef("--workers %d: must be at least 1", f.workers)
	case f.months < 1:
		return usagef("--months %d: must be at least 1", f.months)
	case f.maxItems < 0:
		return usagef("--max-items %d: must not be negative", f.maxItems)
	case f.runsDir != "" && (f.allRuns || f.since != "" || f.until != "" || f.maxItems != 0):
		return usagef("--all-runs, --since, --until and --max-items select stored runs of --world; a runs directory is read whole")
	}
	return checkStage(f.stage)
}

// runPolicyDiff loads both policies and the runs, diffs them and writes the
// report; a failed gate is exit status 1 once the report is written.
func runPolicyDiff(ctx context.Context, env *environment, cf *clientFlags, f *diffFlags) error {
	oldP, err := loadDiffPolicy(env, f.old)
	if err != nil {
		return err
	}
	newP, err := loadDiffPolicy(env, f.new)
	if err != nil {
		return err
	}
	// The diff is a batch job that allocates about 13 kB per run and keeps
	// most of it: collecting less often trades memory for time.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	prog := newDiffProgress(env.stderr, f.quiet)
	start := time.Now()
	var src runSource
	if f.runsDir != "" {
		src, err = loadRunsDir(ctx, f.runsDir, f.stage, f.workers, prog)
	} else {
		src, err = loadServerRuns(ctx, env, cf, f, prog)
	}
	if err != nil {
		return err
	}
	rep, err := policydiff.Diff(ctx, oldP, newP, src.runs, policydiff.Options{
		Stage: f.stage, FailImpactRatio: f.failRatio, KeyByRun: f.allRuns, Workers: f.workers, Now: time.Now(),
		Progress: prog.phase,
	})
	if err != nil {
		return err
	}
	prog.done(fmt.Sprintf("%d strategies from %s (%d skipped), %d affected, impact ratio %.4f, in %s",
		rep.TotalStrategies, src.name, src.skipped, rep.StrategiesAffected, rep.ImpactRatio, time.Since(start).Round(time.Millisecond)))
	if err := writeDiffReport(env, f, rep); err != nil {
		return err
	}
	if rep.GateFailed {
		return failureError{msg: fmt.Sprintf("gate failed: impact ratio %.4f ≥ fail impact ratio %.4f (%d of %d strategies affected)",
			rep.ImpactRatio, rep.FailImpactRatio, rep.StrategiesAffected, rep.TotalStrategies)}
	}
	return nil
}

// runSource is what a loader read: the runs, where from, and how many it
// skipped (no strategy id, outside the window, replaced by a later run).
type runSource struct {
	runs    []policydiff.Run
	name    string
	skipped int
}

// loadDiffPolicy parses a policy file and labels it with its
// policy_version (else version) key, else the file name.
func loadDiffPolicy(env *environment, name string) (policydiff.Policy, error) {
	p, err := loadPolicy(env, name)
	if err != nil {
		return policydiff.Policy{}, err
	}
	label := p.VersionLabel
	if label == "" {
		label = name
	}
	return policydiff.Policy{Policy: p, Version: label}, nil
}

// writeDiffReport writes the report in the requested format to --out or
// standard output.
func writeDiffReport(env *environment, f *diffFlags, rep policydiff.Report) error {
	write := func(w io.Writer) error {
		if f.format == "md" {
			return policydiff.WriteMarkdown(w, rep)
		}
		return writeJSON(w, rep)
	}
	if f.out == "" {
		return write(env.stdout)
	}
	file, err := os.Create(f.out)
	if err != nil {
		return usagef("--out: %v", err)
	}
	if err := write(file); err != nil {
		file.Close()
		return fmt.Errorf("write %s: %w", f.out, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.out, err)
	}
	return nil
}
