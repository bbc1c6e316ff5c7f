package main

import (
	"context"
	"flag"
	"fmt"
	"sort"

	"github.com/worldval/worldval/validation/policy"
)

func policyCheckCommand() command {
	return command{
		name:     "policy check",
		synopsis: "Validate a policy document and print its profiles, stage mapping and ruleset hashes.",
		usage:    "POLICY.yml [--json]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			asJSON := fs.Bool("json", false, "print JSON instead of text")
			return func(_ context.Context, args []string) error {
				if len(args) != 1 {
					return usagef("want exactly one policy file, got %d arguments", len(args))
				}
				p, err := loadPolicy(env, args[0])
				if err != nil {
					return err
				}
				return printPolicySummary(env, args[0], p, *asJSON)
			}
		},
	}
}

// policySummary is what `policy check` reports.
type policySummary struct {
	File           string         `json:"file"`
	PolicyVersion  string         `json:"policy_version,omitempty"`
	Profiles       []string       `json:"profiles"`
	Stages         []stageSummary `json:"stages"`
	OnError        string         `json:"on_error"`
	OnMissing      string         `json:"on_missing_metric"`
	ExtendedBlocks []string       `json:"extended_blocks,omitempty"`
	Warnings       []string       `json:"warnings,omitempty"`
}

// stageSummary is the profile a stage selects and the ruleset hash an
// evaluation at that stage records.
type stageSummary struct {
	Stage       string `json:"stage"`
	Profile     string `json:"profile,omitempty"`
	RulesetHash string `json:"ruleset_hash"`
}

// stagesShown are the stages whose chosen profile `policy check` reports.
var stagesShown = []string{"backtest", "paper", "shadow", "live", "dryrun"}

func printPolicySummary(env *environment, file string, p *policy.Policy, asJSON bool) error {
	modes := p.ValidationModes(false)
	sum := policySummary{
		File:          file,
		PolicyVersion: p.VersionLabel,
		OnError:       modes.OnError,
		OnMissing:     modes.OnMissingMetric,
	}
	for _, prof := range p.Profiles {
		sum.Profiles = append(sum.Profiles, prof.Name)
	}
	for _, st := range stagesShown {
		name, _ := p.ChooseProfile(st)
		sum.Stages = append(sum.Stages, stageSummary{Stage: st, Profile: name, RulesetHash: p.RulesetHash(st, false)})
	}
	for name, present := range map[string]bool{
		"cohort": p.Cohort != nil, "portfolio": p.Portfolio != nil, "benchmark": p.Benchmark != nil,
		"stress": p.Stress != nil, "paper_shadow_consistency": p.PaperShadowConsistency != nil, "live_monitoring": p.LiveMonitoring != nil,
	} {
		if present {
			sum.ExtendedBlocks = append(sum.ExtendedBlocks, name)
		}
	}
	sort.Strings(sum.ExtendedBlocks)
	for _, w := range p.Warnings {
		sum.Warnings = append(sum.Warnings, fmt.Sprint(w))
	}
	if asJSON {
		return writeJSON(env.stdout, sum)
	}
	fmt.Fprintf(env.stdout, "%s: valid policy", file)
	if sum.PolicyVersion != "" {
		fmt.Fprintf(env.stdout, " (policy_version %s)", sum.PolicyVersion)
	}
	fmt.Fprintf(env.stdout, "\n  on_error: %s, on_missing_metric: %s\n  profiles: %v\n  stage      profile       ruleset hash\n", sum.OnError, sum.OnMissing, sum.Profiles)
	for _, st := range sum.Stages {
		prof := st.Profile
		if prof == "" {
			prof = "(none)"
		}
		fmt.Fprintf(env.stdout, "  %-10s %-13s %s\n", st.Stage, prof, st.RulesetHash)
	}
	if len(sum.ExtendedBlocks) > 0 {
		fmt.Fprintf(env.stdout, "  extended layers: %v\n", sum.ExtendedBlocks)
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(env.stdout, "  warning: %s\n", w)
	}
	return nil
}
