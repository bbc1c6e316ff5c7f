package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/worldval/worldval/validation/metrics"
)

// maxInputFile bounds what the offline commands read from one file.
const maxInputFile = 64 << 20

func metricsCommand() command {
	return command{
		name:     "metrics",
		synopsis: "Compute the metric blocks (Sharpe, drawdown, PSR/DSR, tail risk, …) of a return series; prints JSON.",
		usage:    "--returns FILE [--periods-per-year N] [--search-intensity N] [--optional]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			file := fs.String("returns", "", "per-period simple returns: a JSON array of numbers (null allowed) or a one-column CSV; - reads standard input")
			ppy := fs.Float64("periods-per-year", metrics.DefaultPeriodsPerYear, "return periods per year (252 daily equities, 365 daily crypto, 8760 hourly crypto)")
			trials := fs.Float64("search-intensity", 0, "diagnostics.search_intensity: number of variants tried (DSR trial count); when not given, 1 is written")
			optional := fs.Bool("optional", false, "also derive sortino_ratio, sharpe_annualized and min_track_record_length")
			return func(_ context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if *file == "" {
					return usagef("--returns is required")
				}
				if !(*ppy > 0) || math.IsInf(*ppy, 0) {
					return usagef("--periods-per-year %v: must be a finite number > 0", *ppy)
				}
				if math.IsNaN(*trials) || math.IsInf(*trials, 0) || *trials < 0 {
					return usagef("--search-intensity %v: must be a finite number ≥ 0", *trials)
				}
				series, err := readReturns(env, *file)
				if err != nil {
					return err
				}
				// An explicit 0 is a value (validation-core §3.2, §4.5.7: search_intensity
				// is an int ≥ 0, and only an absent one is written as 1), so the flag
				// counts when it is given at all, not when it is positive.
				submitted := map[string]any{}
				if flagSet(fs, "search-intensity") {
					submitted["diagnostics"] = map[string]any{"search_intensity": *trials}
				}
				p := metrics.Params{PeriodsPerYear: *ppy, OptionalMetrics: *optional}
				if err := p.Validate(); err != nil {
					return usagef("--periods-per-year: %v", err)
				}
				res, err := metrics.Derive(submitted, series, true, p)
				if err != nil {
					return usagef("%v", err)
				}
				return writeJSON(env.stdout, res.Metrics)
			}
		},
	}
}

// readReturns reads and decodes a return series file ("-" is standard input).
func readReturns(env *environment, name string) ([]float64, error) {
	data, err := readInput(env, name)
	if err != nil {
		return nil, err
	}
	series, err := metrics.DecodeReturns(data)
	if err != nil {
		return nil, usagef("%s: %v", name, err)
	}
	return series, nil
}

// readInput reads a whole input file, "-" meaning standard input. A missing
// or unreadable file is the caller's mistake: exit status 2.
func readInput(env *environment, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		if env.stdin == nil {
			return nil, usagef("no standard input to read")
		}
		r = env.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, usagef("%v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInputFile+1))
	if err != nil {
		return nil, usagef("read %s: %v", name, err)
	}
	if len(data) > maxInputFile {
		return nil, usagef("%s: larger than %d MiB", name, maxInputFile>>20)
	}
	return data, nil
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
