package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
)

func replayCommand() command {
	return command{
		name:     "replay",
		synopsis: "Fold stored history up to a point in time and print every stream's state as the system knew it then.",
		usage:    "[--data-dir DIR] [--as-of RFC3339] [--stream PREFIX] [--json]",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			dataDir := dataDirFlag(fs, env)
			asOf := fs.String("as-of", "", "fold only events recorded at or before this instant (RFC 3339); default: everything")
			prefix := fs.String("stream", "", "only streams whose name starts with this prefix, e.g. evaluation-run/w1/")
			asJSON := fs.Bool("json", false, "print JSON instead of text")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				var cutoff time.Time
				if *asOf != "" {
					t, err := time.Parse(time.RFC3339Nano, *asOf)
					if err != nil {
						return usagef("--as-of %q: not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)", *asOf)
					}
					cutoff = t
				}
				return replay(ctx, env, *dataDir, cutoff, *prefix, *asJSON)
			}
		},
	}
}

// streamState is what replay reports of one stream.
type streamState struct {
	Stream     string         `json:"stream"`
	Category   string         `json:"category"`
	Version    uint64         `json:"version"`
	Events     map[string]int `json:"events"`
	LastType   string         `json:"last_type"`
	LastAt     string         `json:"last_recorded_at"`
	State      any            `json:"state,omitempty"`
	folder     folder
	foldFailed error
}

type replayReport struct {
	AsOf       string         `json:"as_of,omitempty"`
	Events     int            `json:"events"`
	Categories map[string]int `json:"streams_by_category"`
	Streams    []*streamState `json:"streams"`
}

func replay(ctx context.Context, env *environment, dataDir string, cutoff time.Time, prefix string, asJSON bool) error {
	st, _, err := openExistingStore(ctx, env, dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := events.Catalogue()
	head, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	streams := map[string]*streamState{}
	progress := newProgress(env.stderr, "replayed", head)
	total := 0
	var n uint64
	err = scanAll(ctx, st, func(rec *events.Record) error {
		n++
		progress.tick(n)
		if !cutoff.IsZero() && rec.RecordedAt.After(cutoff) {
			return nil
		}
		if len(rec.Stream) < len(prefix) || rec.Stream[:len(prefix)] != prefix {
			return nil
		}
		s := streams[rec.Stream]
		if s == nil {
			cat, _, _ := events.ParseStream(rec.Stream)
			s = &streamState{Stream: rec.Stream, Category: cat, Events: map[string]int{}, folder: newFolder(cat, reg)}
			streams[rec.Stream] = s
		}
		s.Version = rec.StreamVersion
		s.Events[rec.Type]++
		s.LastType = rec.Type
		s.LastAt = events.FormatTime(rec.RecordedAt)
		if s.folder != nil && s.foldFailed == nil {
			s.foldFailed = s.folder.apply(rec)
		}
		total++
		return nil
	})
	progress.done()
	if err != nil {
		return err
	}
	rep := replayReport{Events: total, Categories: map[string]int{}}
	if !cutoff.IsZero() {
		rep.AsOf = events.FormatTime(cutoff)
	}
	for _, s := range streams {
		rep.Categories[s.Category]++
		switch {
		case s.foldFailed != nil:
			s.State = map[string]string{"error": s.foldFailed.Error()}
		case s.folder != nil:
			s.State = s.folder.state()
		}
		rep.Streams = append(rep.Streams, s)
	}
	sort.Slice(rep.Streams, func(i, j int) bool { return rep.Streams[i].Stream < rep.Streams[j].Stream })
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	when := "now"
	if rep.AsOf != "" {
		when = rep.AsOf
	}
	fmt.Fprintf(env.stdout, "replay as of %s: %d events in %d streams\n", when, rep.Events, len(rep.Streams))
	printCounts(env.stdout, "", rep.Categories)
	for _, s := range rep.Streams {
		fmt.Fprintf(env.stdout, "\n%s  (version %d, last %s at %s)\n", s.Stream, s.Version, s.LastType, s.LastAt)
		if s.State != nil {
			b, _ := json.Marshal(s.State)
			fmt.Fprintf(env.stdout, "  state: %s\n", b)
		}
	}
	return nil
}

// folder folds one stream's events into a state summary for replay.
type folder interface {
	apply(rec *events.Record) error
	state() any
}

// newFolder returns the folder for a stream category, or nil when replay only
// counts that category's events.
func newFolder(category string, reg *events.Registry) folder {
	switch category {
	case events.CategoryEvaluationRun:
		return &runFolder{reg: reg}
	case events.CategoryWorldPolicy:
		return &policyFolder{reg: reg}
	default:
		return nil
	}
}

// runFolder folds an evaluation-run stream with the run aggregate itself, so
// replay shows exactly the state the aggregate would decide on.
type runFolder struct {
	reg *events.Registry
	run evaluationrun.Run
}

func (f *runFolder) apply(rec *events.Record) error {
	payload, err := f.reg.Decode(&rec.Event)
	if err != nil {
		return err
	}
	return f.run.Apply(rec, payload)
}

func (f *runFolder) state() any {
	r := &f.run
	out := map[string]any{
		"status": r.Status,
		"stage":  r.Request.Stage,
	}
	if r.Status == evaluationrun.StatusEvaluated {
		out["verdict"] = r.Verdict.Status
		out["recommended_stage"] = r.Verdict.RecommendedStage
		out["policy_version"] = r.Verdict.PolicyVersion
		out["ruleset_hash"] = r.Verdict.RulesetHash
	}
	if r.Override != nil {
		out["override"] = r.Override.Status
	}
	if r.ExPostFailures > 0 {
		out["ex_post_failures"] = r.ExPostFailures
	}
	return out
}

// policyFolder folds a world-policy stream with the policy aggregate.
type policyFolder struct {
	reg *events.Registry
	pol worldpolicy.Policy
}

func (f *policyFolder) apply(rec *events.Record) error {
	payload, err := f.reg.Decode(&rec.Event)
	if err != nil {
		return err
	}
	return f.pol.Apply(rec, payload)
}

func (f *policyFolder) state() any {
	return map[string]any{
		"versions":        f.pol.Versions(),
		"default_version": f.pol.DefaultVersion(),
	}
}
