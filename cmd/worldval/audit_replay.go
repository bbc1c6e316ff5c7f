package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/handlers"
	"github.com/worldval/worldval/validation/metrics"
	"github.com/worldval/worldval/validation/policy"
)

const auditReplayHelp = `Recompute every recorded verdict (EvaluationCompleted) of the store with the current code and report
every run whose verdict would differ: status, recommended stage, active set, policy version, ruleset hash, profile,
note, each rule's status/severity/reason code, and the metrics document (numbers to a relative 1e-9). Timestamps,
event ids and actors are not compared. Exit 1 when a run differs, 0 when all match, 2 on bad input.

A verdict is recomputed by the evaluator's own decision (handlers.Evaluator.Decide), from what the store recorded:
the run's submission, the policy version the completion names, and the world's fail-closed settings as they stood
at the submission's global position. It also reports a completion naming another version than the one the
submission resolves to (the version it asked for, else the world's default at its position).

Paper and shadow runs are compared with the latest evaluated backtest of their strategy, as the service picks it,
in the run read model as of the submission's position. The service used its live read model when it evaluated the
run, so a backtest recorded just before or after the submission can have been seen differently; such a run is
reported with a differing paper_vs_backtest metric or rule.

Runs submitted but not evaluated are skipped and counted. The store is read up to its head when the command starts.`

func auditReplayCommand() command {
	return command{
		name:     "audit replay",
		synopsis: "Recompute every stored verdict with the current code; report each run whose verdict would differ (exit 1).",
		usage:    "[--data-dir DIR] [--world W] [--format text|json]\n\n" + auditReplayHelp,
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			dataDir := dataDirFlag(fs, env)
			world := fs.String("world", "", "only the runs of this world `id` (default: every world)")
			format := fs.String("format", "text", "output `format`: text or json")
			return func(ctx context.Context, args []string) error {
				switch {
				case len(args) > 0:
					return usagef("unexpected argument %q", args[0])
				case *format != "text" && *format != "json":
					return usagef("--format %q: want text or json", *format)
				}
				if *world != "" {
					if _, err := events.WorldStream(*world); err != nil {
						return usagef("--world %q: %v", *world, err)
					}
				}
				return auditReplay(ctx, env, *dataDir, *world, *format)
			}
		},
	}
}

// auditReplayRun is a run whose replayed verdict differs from the stored one.
type auditReplayRun struct {
	Stream      string `json:"stream"`
	WorldID     string `json:"world_id"`
	StrategyID  string `json:"strategy_id"`
	RunID       string `json:"run_id"`
	SubmittedAt uint64 `json:"submitted_at_position,omitempty"`
	CompletedAt uint64 `json:"completed_at_position"`
	// Differences say what differs.
	Differences []replayDifference `json:"differences"`
}

// Ref is the run's world/strategy/run.
func (r *auditReplayRun) Ref() string { return r.WorldID + "/" + r.StrategyID + "/" + r.RunID }

// auditReplayReport is what audit replay found.
type auditReplayReport struct {
	Store        string         `json:"store"`
	World        string         `json:"world,omitempty"`
	HeadPosition uint64         `json:"head_position"`
	Checked      int            `json:"runs_checked"`
	Matching     int            `json:"matching"`
	Differing    int            `json:"differing"`
	Skipped      map[string]int `json:"skipped"`
	// BaselineEventsRefused counts backtest events the baseline read model
	// could not fold (the service's projection would have stalled on them).
	BaselineEventsRefused int              `json:"baseline_events_refused,omitempty"`
	Runs                  []auditReplayRun `json:"differing_runs"`
}

// Skip reasons of audit replay, the keys of its report's skipped counts.
const (
	// skipNotEvaluated is a run submitted and without a verdict at the head.
	skipNotEvaluated = "not_evaluated"
)

// pendingRun is a submitted run whose verdict the scan has not reached.
type pendingRun struct {
	sub     events.Record
	decoded *events.EvaluationRunSubmitted
	// decodeErr says why the submission does not decode.
	decodeErr error
	// baseline is the paper/shadow baseline as of the submission.
	baseline *metrics.Baseline
	stored   storedCompletion
}

// replayer holds the state of one audit replay.
type replayer struct {
	env     *environment
	reg     *events.Registry
	eval    *handlers.Evaluator
	pinned  *pinnedBaseline
	bases   *replayBaselines
	world   string
	pending map[string]*pendingRun
	done    map[string]bool
	// reported indexes report.Runs by stream.
	reported map[string]int
	report   auditReplayReport
	progress *auditProgress
}

func auditReplay(ctx context.Context, env *environment, dataDir, world, format string) error {
	st, path, err := openExistingStore(ctx, env, dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	// The head is read before anything else, so that every later read of
	// a world's policy or settings stream (the evaluator reads each once)
	// includes all the history up to it: decisions of submissions up to the
	// head are then position-exact even while the service writes.
	head, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	reg := events.Catalogue()
	repo, err := aggregates.NewRepository(st, reg)
	if err != nil {
		return fmt.Errorf("repository: %w", err)
	}
	pinned := &pinnedBaseline{}
	ev, err := handlers.NewEvaluator(repo, handlers.WithBaselines(pinned))
	if err != nil {
		return err
	}
	bases, err := newReplayBaselines(reg)
	if err != nil {
		return err
	}
	r := &replayer{
		env: env, reg: reg, eval: ev, pinned: pinned, bases: bases, world: world,
		pending: map[string]*pendingRun{}, done: map[string]bool{}, reported: map[string]int{},
		report:   auditReplayReport{Store: path, World: world, HeadPosition: head, Skipped: map[string]int{}, Runs: []auditReplayRun{}},
		progress: newAuditProgress(env.stderr, "audit replay"),
	}
	if format == "text" {
		where := "every world"
		if world != "" {
			where = "world " + world
		}
		fmt.Fprintf(env.stdout, "audit replay: %s, %s, up to position %d\n", path, where, head)
	}
	seenWorld := false
	var n uint64
	err = scanUpTo(ctx, st, head, func(rec *events.Record) error {
		n++
		if n%1024 == 0 {
			r.progress.report(r.progressLine(rec.GlobalPosition))
		}
		cat, ids, err := events.ParseStream(rec.Stream)
		if err != nil || cat != events.CategoryEvaluationRun || len(ids) != 3 {
			if world != "" && err == nil && len(ids) > 0 && ids[0] == world && cat != events.CategoryModelCard {
				seenWorld = true
			}
			return nil
		}
		if world != "" && ids[0] != world {
			return nil
		}
		seenWorld = true
		return r.observe(ctx, rec, ids)
	})
	if err != nil {
		return err
	}
	if world != "" && !seenWorld {
		return usagef("the store at %s holds no stream of world %q", path, world)
	}
	r.report.Skipped[skipNotEvaluated] = len(r.pending)
	r.report.BaselineEventsRefused = bases.refused
	if err := r.print(format, bases.firstRefusal); err != nil {
		return err
	}
	if d := r.report.Differing; d > 0 {
		return failureError{msg: fmt.Sprintf("%d of %d replayed runs differ from their stored verdict", d, r.report.Checked)}
	}
	return nil
}

func (r *replayer) progressLine(pos uint64) func() string {
	return func() string {
		return fmt.Sprintf("position %d of %d, %d runs checked, %d differing", pos, r.report.HeadPosition, r.report.Checked, r.report.Differing)
	}
}

// observe takes one event of a run stream, in global order.
func (r *replayer) observe(ctx context.Context, rec *events.Record, ids []string) error {
	switch rec.Type {
	case events.TypeEvaluationRunSubmitted:
		if r.pending[rec.Stream] != nil || r.done[rec.Stream] {
			r.anomaly(rec, ids, "history", "one EvaluationRunSubmitted", fmt.Sprintf("another at version %d", rec.StreamVersion))
			return nil
		}
		p := &pendingRun{sub: *rec}
		p.decoded, p.decodeErr = events.DecodeAs[events.EvaluationRunSubmitted](r.reg, &rec.Event)
		if err := r.bases.observe(ctx, rec, p.decoded); err != nil {
			return err
		}
		if p.decoded != nil {
			switch policy.NormStage(p.decoded.Stage) {
			case "paper", "shadow":
				b, err := r.bases.at(ctx, p.decoded.WorldID, p.decoded.StrategyID)
				if err != nil {
					return fmt.Errorf("baseline of %s: %w", rec.Stream, err)
				}
				p.baseline = b
			}
		}
		r.pending[rec.Stream] = p
		return nil
	case events.TypeMetricsComputed, events.TypeRuleEvaluated, events.TypeEvaluationCompleted:
	default:
		return r.bases.observe(ctx, rec, nil)
	}
	if err := r.bases.observe(ctx, rec, nil); err != nil {
		return err
	}
	p := r.pending[rec.Stream]
	if p == nil {
		if r.done[rec.Stream] {
			r.anomaly(rec, ids, "history", "nothing after the verdict", fmt.Sprintf("%s at version %d", rec.Type, rec.StreamVersion))
		} else {
			r.anomaly(rec, ids, "history", "an EvaluationRunSubmitted first", fmt.Sprintf("%s at version %d", rec.Type, rec.StreamVersion))
		}
		return nil
	}
	payload, err := r.reg.Decode(&rec.Event)
	if err != nil {
		r.anomaly(rec, ids, strings.ToLower(rec.Type), "a decodable event", fmt.Sprintf("version %d does not decode: %v", rec.StreamVersion, err))
		delete(r.pending, rec.Stream)
		r.done[rec.Stream] = true
		return nil
	}
	switch e := payload.(type) {
	case *events.MetricsComputed:
		p.stored.metrics = e
	case *events.RuleEvaluated:
		p.stored.rules = append(p.stored.rules, *e)
	case *events.EvaluationCompleted:
		p.stored.verdict = e
		delete(r.pending, rec.Stream)
		r.done[rec.Stream] = true
		return r.check(ctx, p, rec, ids)
	}
	return nil
}

// check recomputes the verdict of a run and compares it with the stored one.
func (r *replayer) check(ctx context.Context, p *pendingRun, completion *events.Record, ids []string) error {
	run := auditReplayRun{Stream: completion.Stream, WorldID: ids[0], StrategyID: ids[1], RunID: ids[2], SubmittedAt: p.sub.GlobalPosition, CompletedAt: completion.GlobalPosition}
	r.report.Checked++
	defer r.progress.report(r.progressLine(completion.GlobalPosition))
	if p.decodeErr != nil {
		run.Differences = []replayDifference{{What: "submission", Stored: "does not decode: " + p.decodeErr.Error(), Replayed: "(no decision)"}}
		r.differs(run)
		return nil
	}
	r.pinned.b = p.baseline
	replayed, err := r.eval.Decide(ctx, &p.sub, p.stored.verdict.PolicyVersion)
	if err != nil {
		return fmt.Errorf("replay %s: %w", completion.Stream, err)
	}
	resolved, err := r.eval.ResolvePolicyVersion(ctx, &p.sub)
	if err != nil {
		return fmt.Errorf("replay %s: %w", completion.Stream, err)
	}
	if run.Differences = compareCompletion(p.stored, replayed, resolved); len(run.Differences) > 0 {
		r.differs(run)
		return nil
	}
	r.report.Matching++
	return nil
}

func (r *replayer) differs(run auditReplayRun) {
	r.report.Differing++
	r.reported[run.Stream] = len(r.report.Runs)
	r.report.Runs = append(r.report.Runs, run)
}

// anomaly reports a run stream whose history the evaluator cannot have
// written (a second submission, events after the verdict, an event that
// does not decode): the run counts as checked and differing, once however
// many such events its stream holds.
func (r *replayer) anomaly(rec *events.Record, ids []string, what, want, got string) {
	d := replayDifference{What: what, Stored: got, Replayed: want}
	if i, ok := r.reported[rec.Stream]; ok {
		r.report.Runs[i].Differences = append(r.report.Runs[i].Differences, d)
		return
	}
	if r.done[rec.Stream] {
		r.report.Matching-- // its verdict matched; its stream goes on
	} else {
		r.report.Checked++
	}
	r.differs(auditReplayRun{
		Stream: rec.Stream, WorldID: ids[0], StrategyID: ids[1], RunID: ids[2], CompletedAt: rec.GlobalPosition,
		Differences: []replayDifference{d},
	})
}

func (r *replayer) print(format string, refusal error) error {
	rep := &r.report
	if format == "json" {
		enc := json.NewEncoder(r.env.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
		return nil
	}
	w := r.env.stdout
	for i := range rep.Runs {
		run := &rep.Runs[i]
		fmt.Fprintf(w, "  DIFFERS %s (stream %s, completed at position %d)\n", run.Ref(), run.Stream, run.CompletedAt)
		for _, d := range run.Differences {
			fmt.Fprintf(w, "    %s\n", d)
		}
	}
	if rep.BaselineEventsRefused > 0 {
		fmt.Fprintf(w, "  note: the baseline read model refused %d backtest events (first: %v); paper/shadow baselines leave them out\n", rep.BaselineEventsRefused, refusal)
	}
	fmt.Fprintf(w, "audit replay: %d runs checked, %d matching, %d differing; %s\n", rep.Checked, rep.Matching, rep.Differing, skippedText(rep.Skipped))
	return nil
}

func skippedText(skipped map[string]int) string {
	total := 0
	var parts []string
	for reason, n := range skipped {
		if n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(reason, "_", " ")))
		}
	}
	sort.Strings(parts)
	if total == 0 {
		return "0 skipped"
	}
	return fmt.Sprintf("%d skipped: %s", total, strings.Join(parts, ", "))
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
