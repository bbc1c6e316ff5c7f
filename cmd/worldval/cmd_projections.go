package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
)

func projectionsRebuildCommand() command {
	return command{
		name:     "projections rebuild",
		synopsis: "Rebuild a read model from position 0 of the event store and report what it holds (the service rebuilds its in-memory ones at every start).",
		usage:    "[--data-dir DIR] [--json] NAME|all",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			dataDir := dataDirFlag(fs, env)
			asJSON := fs.Bool("json", false, "print JSON instead of text")
			return func(ctx context.Context, args []string) error {
				names, err := projectionNames(args)
				if err != nil {
					return err
				}
				return rebuildProjections(ctx, env, *dataDir, names, *asJSON)
			}
		},
	}
}

// projectionNames checks the command's one argument: a projection name, or
// "all" for every projection.
func projectionNames(args []string) ([]string, error) {
	known := projections.Names()
	switch {
	case len(args) == 0:
		return nil, usagef("name the projection to rebuild (%s) or all", strings.Join(known, ", "))
	case len(args) > 1:
		return nil, usagef("unexpected argument %q", args[1])
	case args[0] == "all":
		return known, nil
	}
	for _, n := range known {
		if args[0] == n {
			return []string{n}, nil
		}
	}
	return nil, usagef("unknown projection %q (known: %s, or all)", args[0], strings.Join(known, ", "))
}

// rebuildReport is what the command reports of one rebuilt projection.
type rebuildReport struct {
	Projection string  `json:"projection"`
	Events     int     `json:"events"`
	Position   uint64  `json:"position"`
	Head       uint64  `json:"head"`
	Values     int     `json:"values"`
	Sets       int     `json:"sets"`
	Seconds    float64 `json:"seconds"`
}

// rebuildProjections folds every stored event into a fresh in-memory copy
// of each named projection, with the projection's own code, and reports how
// far it got and what it holds. A fold error (an event the projection cannot
// apply) fails the command, naming the event.
func rebuildProjections(ctx context.Context, env *environment, dataDir string, names []string, asJSON bool) error {
	st, path, err := openExistingStore(ctx, env, dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := events.Catalogue()
	var reports []rebuildReport
	for _, name := range names {
		mem := projections.NewMemoryStore()
		p, err := projections.New(name, mem, reg)
		if err != nil {
			return usageError{err}
		}
		progress := newProgress(env.stderr, "folded into "+name, 0)
		// Pages of 1024 events, so that every page reaches progress.tick's
		// reporting stride.
		prog, err := projections.Rebuild(ctx, st, p, projections.WithPageSize(1024), projections.WithProgress(func(pr projections.Progress) {
			progress.total = pr.Head
			progress.tick(uint64(pr.Events))
		}))
		progress.done()
		if err != nil {
			return failureError{msg: fmt.Sprintf("rebuild %s from %s: %v", name, path, err)}
		}
		values, sets := mem.Len()
		reports = append(reports, rebuildReport{
			Projection: name, Events: prog.Events, Position: prog.Position, Head: prog.Head,
			Values: values, Sets: sets, Seconds: prog.Elapsed.Seconds(),
		})
	}
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	}
	fmt.Fprintf(env.stdout, "projections rebuild: %s\n", path)
	for _, r := range reports {
		fmt.Fprintf(env.stdout, "  %-24s %d events up to position %d in %s: %d values, %d sets\n",
			r.Projection, r.Events, r.Position, time.Duration(r.Seconds*float64(time.Second)).Round(time.Millisecond), r.Values, r.Sets)
	}
	return nil
}
