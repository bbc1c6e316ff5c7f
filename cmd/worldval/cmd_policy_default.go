package main

import (
	"context"
	"flag"
	"fmt"
)

func policyDefaultCommand() command {
	return command{
		name:     "policy default",
		synopsis: "Make a published policy version the one a world's runs are evaluated under, on a running service.",
		usage:    "--world W --version N [--server URL] [--token-env VAR] [--json]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			cf := declareClientFlags(fs)
			world := fs.String("world", "", "world `id`")
			version := fs.Int("version", 0, "policy `version` to make the default")
			asJSON := fs.Bool("json", false, "print the service's answer as JSON")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if *world == "" || *version < 1 {
					return usagef("--world and --version (from 1) are required")
				}
				c, err := cf.client(env)
				if err != nil {
					return err
				}
				d, err := c.SetDefaultPolicy(ctx, *world, *version)
				if err != nil {
					return apiFailure(err)
				}
				if *asJSON {
					return writeJSON(env.stdout, d)
				}
				fmt.Fprintf(env.stdout, "world %s: default policy version %d (was %d)\n", d.WorldID, d.DefaultVersion, d.PreviousVersion)
				return nil
			}
		},
	}
}
