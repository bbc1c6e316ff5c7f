package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/worldval/worldval/processor"
)

func serveCommand() command {
	return command{
		name:     "serve",
		synopsis: "Run the service: event store, HTTP API and workers (embedded profile by default).",
		usage:    "[--data-dir DIR] [--http HOST:PORT]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			var cfg processor.Config
			fs.StringVar(&cfg.DataDir, "data-dir", "data", "directory of the embedded sqlite event store")
			fs.StringVar(&cfg.HTTPAddr, "http", "127.0.0.1:8080", "address the HTTP API listens on")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if err := cfg.Validate(); err != nil {
					return usageError{err}
				}
				log := slog.New(slog.NewTextHandler(env.stderr, nil))
				svc, err := processor.New(ctx, cfg, log)
				if err != nil {
					return err
				}
				return svc.Run(ctx)
			}
		},
	}
}
