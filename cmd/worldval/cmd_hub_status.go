package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/worldval/worldval/client"
)

// defaultHubWarnSeconds is the default of `hub status --warn-seconds`: the
// threshold of the RiskHubSnapshotStale alert (risk-hub spec §6.2, lag >
// 600 s) and the default of QMTL's risk_hub_monitor.py --warn-seconds.
const defaultHubWarnSeconds = 600

// Freshness states of a world in `worldval hub status`.
const (
	hubStateFresh = "fresh"
	// hubStateStale: the newest snapshot's as_of is more than
	// --warn-seconds behind the hub's clock.
	hubStateStale = "stale"
	// hubStateExpired: no snapshot of the world is usable any more
	// (every one is past created_at + ttl_sec).
	hubStateExpired = "expired"
)

// hubStatusCommand is `worldval hub status`: the freshness of each world's
// risk snapshots, as the hub measures it for risk_hub_snapshot_lag_seconds.
func hubStatusCommand() command {
	return command{
		name:     "hub status",
		synopsis: "Show the freshness of each world's risk snapshots (age, version, as_of, TTL, expiry); exit 1 when a world is stale or has no usable snapshot.",
		usage: `[--server URL] [--token-env VAR] [--world W] [--warn-seconds N] [--json]

One line per world that recorded a snapshot, measured on its newest snapshot
(expired or not) at the hub's clock: AGE is now − as_of, the value of
risk_hub_snapshot_lag_seconds; TTL and EXPIRES_AT are its lifetime. STATE is
fresh, stale (AGE above --warn-seconds; default 600, the threshold of the
RiskHubSnapshotStale alert), expired (no snapshot of the world is usable
any more: readers get 404 and the workers fall back), or both.

Exit status: 0 when every world listed is fresh; 1 when one is stale or
expired, when --world names a world without snapshots, or when the service
cannot be reached; 2 for bad flags. Needs a token with scope read.`,
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			cf := declareClientFlags(fs)
			world := fs.String("world", "", "report this world only (default: every world with snapshots)")
			warn := fs.Int64("warn-seconds", defaultHubWarnSeconds, "a world whose newest snapshot's as_of is more than this many `seconds` old is stale")
			asJSON := fs.Bool("json", false, "print JSON instead of a table")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if *warn < 0 {
					return usagef("--warn-seconds must not be negative, got %d", *warn)
				}
				c, err := cf.client(env)
				if err != nil {
					return err
				}
				return hubStatus(ctx, env, c, *world, time.Duration(*warn)*time.Second, *asJSON)
			}
		},
	}
}

// hubWorldStatus is one world of `worldval hub status`.
type hubWorldStatus struct {
	client.HubWorld
	// State is fresh, stale, expired, or "stale,expired".
	State string `json:"state"`
}

// hubStatus fetches the hub's worlds, prints their freshness and returns a
// [failureError] when one needs attention.
func hubStatus(ctx context.Context, env *environment, c *client.Client, world string, warn time.Duration, asJSON bool) error {
	hw, err := c.HubWorlds(ctx)
	if err != nil {
		return hubFailure(err)
	}
	var rows []hubWorldStatus
	var attention []string
	for _, w := range hw.Worlds {
		if world != "" && w.WorldID != world {
			continue
		}
		var states []string
		if w.Lag() > warn {
			states = append(states, hubStateStale)
		}
		if w.LatestVersion == "" {
			states = append(states, hubStateExpired)
		}
		row := hubWorldStatus{HubWorld: w, State: hubStateFresh}
		if len(states) > 0 {
			row.State = strings.Join(states, ",")
			attention = append(attention, w.WorldID+" "+row.State)
		}
		rows = append(rows, row)
	}
	if asJSON {
		if err := writeJSON(env.stdout, struct {
			Now         time.Time        `json:"now"`
			WarnSeconds int64            `json:"warn_seconds"`
			Worlds      []hubWorldStatus `json:"worlds"`
		}{hw.Now, int64(warn / time.Second), nonNil(rows)}); err != nil {
			return err
		}
	} else if err := printHubStatus(env.stdout, rows, world); err != nil {
		return err
	}
	switch {
	case world != "" && len(rows) == 0:
		return failureError{msg: fmt.Sprintf("world %s has recorded no risk snapshot", world)}
	case len(attention) > 0:
		return failureError{msg: fmt.Sprintf("%d of %d worlds need attention (warn above %s): %s",
			len(attention), len(rows), warn, strings.Join(attention, ", "))}
	}
	return nil
}

// printHubStatus writes rows as a table, or a line saying there is none.
func printHubStatus(w io.Writer, rows []hubWorldStatus, world string) error {
	if len(rows) == 0 {
		if world == "" {
			_, err := fmt.Fprintln(w, "no world has recorded a risk snapshot")
			return err
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORLD\tVERSION\tSTAGE\tAS_OF\tAGE\tTTL\tEXPIRES_AT\tSTATE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%ds\t%s\t%s\n", r.WorldID, r.Version, orDash(r.Stage), r.AsOf,
			formatAge(r.Lag()), r.TTLSec, r.ExpiresAt.UTC().Format(time.RFC3339), r.State)
	}
	return tw.Flush()
}

// formatAge writes an age compactly at a precision that suits its size:
// 45s, 12m05s, 3h04m, 694d04h. A negative age (an as_of ahead of the hub's
// clock) keeps its sign.
func formatAge(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%s%ds", sign, d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%s%dm%02ds", sign, d/time.Minute, d%time.Minute/time.Second)
	case d < 48*time.Hour:
		return fmt.Sprintf("%s%dh%02dm", sign, d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%s%dd%02dh", sign, d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// nonNil returns rows, or an empty slice for nil, so that JSON says [].
func nonNil(rows []hubWorldStatus) []hubWorldStatus {
	if rows == nil {
		return []hubWorldStatus{}
	}
	return rows
}
