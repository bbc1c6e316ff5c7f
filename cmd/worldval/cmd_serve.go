package main

import (
	"context"
	"flag"

	"github.com/worldval/worldval/processor"
)

func serveCommand() command {
	return command{
		name:     "serve",
		synopsis: "Run the service: event store, HTTP API and workers (embedded profile by default).",
		usage:    "[--config FILE] [--data-dir DIR] [--http HOST:PORT]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			flags := declareServeFlags(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				cfg, err := flags.load(env.getenv)
				if err != nil {
					return usageError{err}
				}
				log, err := processor.NewLogger(env.stderr, cfg.Log)
				if err != nil {
					return usageError{err}
				}
				if cfg.Auth.LoopbackOnly() {
					log.Warn("no auth tokens configured: serving loopback callers only, all recorded as principal \""+
						processor.LoopbackPrincipal+"\"; configure auth.tokens to serve other hosts",
						"profile", cfg.Profile)
				}
				svc, err := processor.New(ctx, cfg, log)
				if err != nil {
					return err
				}
				return svc.Run(ctx)
			}
		},
	}
}

// serveFlags are the serve command's flags. --config names the file; the
// others override one configuration key each.
type serveFlags struct {
	fs       *flag.FlagSet
	config   string
	dataDir  string
	httpAddr string
}

// declareServeFlags declares the serve flags on fs.
func declareServeFlags(fs *flag.FlagSet) *serveFlags {
	f := &serveFlags{fs: fs}
	fs.StringVar(&f.config, "config", "", "YAML configuration `file` (keys in docs/configuration.md); WORLDVAL_* environment variables override it, and flags override both")
	fs.StringVar(&f.dataDir, "data-dir", "data", "`directory` of the embedded sqlite event store (key data_dir)")
	fs.StringVar(&f.httpAddr, "http", "127.0.0.1:8080", "`host:port` the HTTP API listens on (key http.addr)")
	return f
}

// load builds the configuration: defaults, then the --config file, then
// WORLDVAL_* variables read through getenv, then the flags given on the
// command line (a flag left out overrides nothing, whatever its default).
func (f *serveFlags) load(getenv func(string) string) (processor.Config, error) {
	return processor.LoadConfig(f.config, getenv, func(c *processor.Config) {
		f.fs.Visit(func(fl *flag.Flag) {
			switch fl.Name {
			case "data-dir":
				c.DataDir = f.dataDir
			case "http":
				c.HTTP.Addr = f.httpAddr
			}
		})
	})
}
