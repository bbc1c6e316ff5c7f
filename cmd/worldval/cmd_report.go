package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/worldval/worldval/client"
)

func reportCommand() command {
	return command{
		name:     "report",
		synopsis: "Fetch the validation report of one run from a running service, as Markdown or as one self-contained HTML page.",
		usage:    "--world W --strategy S --run R [--format md|html] [--out FILE] [--as-of TIME] [--server URL] [--token-env VAR]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			cf := declareClientFlags(fs)
			var f reportFlags
			fs.StringVar(&f.world, "world", "", "world `id`")
			fs.StringVar(&f.strategy, "strategy", "", "strategy `id`")
			fs.StringVar(&f.run, "run", "", "run `id`")
			fs.StringVar(&f.format, "format", "", "`format`: md or html (default: html when --out ends in .html or .htm, else md)")
			fs.StringVar(&f.out, "out", "", "write the report to this `file` instead of standard output")
			fs.StringVar(&f.asOf, "as-of", "", "the report as the service knew the run at this RFC 3339 `time`")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if err := f.check(); err != nil {
					return err
				}
				body, err := fetchReport(ctx, env, cf, &f)
				if err != nil {
					return err
				}
				if f.out == "" {
					_, err := env.stdout.Write(body)
					return err
				}
				if err := os.WriteFile(f.out, body, 0o644); err != nil {
					return fmt.Errorf("write the report: %w", err)
				}
				fmt.Fprintf(env.stdout, "report: wrote %s (%s, %d bytes)\n", f.out, f.format, len(body))
				return nil
			}
		},
	}
}

// reportFlags are the report command's flags.
type reportFlags struct {
	world, strategy, run, format, out, asOf string
}

// check refuses missing ids and unknown formats, and resolves the default
// format from the output file's extension.
func (f *reportFlags) check() error {
	if f.world == "" || f.strategy == "" || f.run == "" {
		return usagef("--world, --strategy and --run are required")
	}
	if f.format == "" {
		f.format = "md"
		switch strings.ToLower(filepath.Ext(f.out)) {
		case ".html", ".htm":
			f.format = "html"
		}
	}
	if f.format != "md" && f.format != "html" {
		return usagef("--format %q: want md or html", f.format)
	}
	if f.asOf != "" {
		if _, err := time.Parse(time.RFC3339Nano, f.asOf); err != nil {
			return usagef("--as-of %q: not an RFC 3339 time", f.asOf)
		}
	}
	return nil
}

// fetchReport reads GET …/runs/{run}/report from the service through the
// client, with the server and token the flags name (the same request `worldval
// demo --reports` makes). A refusal of the request (bad parameter, unknown
// run) is exit status 2; a run still evaluating, missing credentials or an
// unreachable service, exit status 1.
func fetchReport(ctx context.Context, env *environment, cf *clientFlags, f *reportFlags) ([]byte, error) {
	c, err := cf.client(env)
	if err != nil {
		return nil, err
	}
	var opts []client.ReadOption
	if f.asOf != "" {
		at, err := time.Parse(time.RFC3339Nano, f.asOf)
		if err != nil {
			return nil, usagef("--as-of %q: not an RFC 3339 time", f.asOf)
		}
		opts = append(opts, client.AsOf(at))
	}
	ref := client.RunRef{WorldID: f.world, StrategyID: f.strategy, RunID: f.run}
	body, err := c.Report(ctx, ref, client.ReportFormat(f.format), opts...)
	var ae *client.APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusNotFound) {
		return nil, usageError{err}
	}
	return body, err
}
