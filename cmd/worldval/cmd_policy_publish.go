package main

import (
	"context"
	"flag"
	"fmt"
	"sort"

	"github.com/worldval/worldval/client"
)

func policyPublishCommand() command {
	return command{
		name:     "policy publish",
		synopsis: "Publish a policy document (YAML or JSON) as a world's next policy version on a running service.",
		usage:    "--world W --file POLICY.yml [--server URL] [--idempotency-key K] [--token-env VAR] [--json]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			cf := declareClientFlags(fs)
			world := fs.String("world", "", "world `id`")
			file := fs.String("file", "", "policy document `file`, YAML or JSON; - reads standard input")
			key := fs.String("idempotency-key", "", "idempotency `key`: a retry with the same key publishes nothing and answers with the same version")
			asJSON := fs.Bool("json", false, "print the service's answer as JSON")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if *world == "" || *file == "" {
					return usagef("--world and --file are required")
				}
				doc, err := readInput(env, *file)
				if err != nil {
					return err
				}
				c, err := cf.client(env)
				if err != nil {
					return err
				}
				var opts []client.WriteOption
				if *key != "" {
					opts = append(opts, client.IdempotencyKey(*key))
				}
				p, err := c.PublishPolicy(ctx, *world, doc, opts...)
				if err != nil {
					return apiFailure(fmt.Errorf("%s: %w", *file, err))
				}
				if *asJSON {
					return writeJSON(env.stdout, p)
				}
				how := "published"
				if !p.Created {
					how = "already published (a retry)"
				}
				fmt.Fprintf(env.stdout, "world %s: policy version %d %s; default version %d\n", p.WorldID, p.Version, how, p.DefaultVersion)
				profiles := make([]string, 0, len(p.RulesetHash))
				for name := range p.RulesetHash {
					profiles = append(profiles, name)
				}
				sort.Strings(profiles)
				for _, name := range profiles {
					fmt.Fprintf(env.stdout, "  profile %-12s ruleset hash %s\n", name, p.RulesetHash[name])
				}
				for _, w := range p.Warnings {
					fmt.Fprintf(env.stdout, "  warning: %s: %s\n", orWhole(w.Path), w.Message)
				}
				return nil
			}
		},
	}
}
