package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// readBatch is how many events the offline commands read per query.
const readBatch = 1000

func auditVerifyCommand() command {
	return command{
		name:     "audit verify",
		synopsis: "Verify that stored history was not altered: every hash link and version sequence of every stream.",
		usage:    "[--data-dir DIR] | --file FILE\n\nWith --file, verifies a world export written by 'worldval audit export' offline instead of the store:\nevery line a record, every stream's chain and versions from its first event, every record's hash recomputed.",
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			dataDir := dataDirFlag(fs, env)
			file := fs.String("file", "", "verify this export `file` (JSON Lines from audit export) instead of the store")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if *file != "" {
					if flagSet(fs, "data-dir") {
						return usagef("--file and --data-dir exclude each other")
					}
					return auditVerifyFile(ctx, env, *file)
				}
				return auditVerify(ctx, env, *dataDir)
			}
		},
	}
}

func auditVerify(ctx context.Context, env *environment, dataDir string) error {
	st, path, err := openExistingStore(ctx, env, dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(env.stdout, "audit verify: %s\n", path)

	if err := st.IntegrityCheck(ctx); err != nil {
		fmt.Fprintf(env.stdout, "  storage integrity: FAILED: %v\n", err)
		return failureError{msg: "storage integrity check failed: " + err.Error()}
	}
	fmt.Fprintln(env.stdout, "  storage integrity: ok")

	head, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	verifier := events.NewChainVerifier()
	byCategory := map[string]int{}
	progress := newProgress(env.stderr, "verified", head)
	var n, lastPos uint64
	err = scanAll(ctx, st, func(rec *events.Record) error {
		if rec.GlobalPosition <= lastPos {
			return fmt.Errorf("%w: event %s: global position %d after %d", events.ErrChainBroken, rec.ID, rec.GlobalPosition, lastPos)
		}
		lastPos = rec.GlobalPosition
		if err := verifier.Verify(rec); err != nil {
			return err
		}
		cat, _, err := events.ParseStream(rec.Stream)
		if err != nil {
			cat = "(unparsable)"
		}
		byCategory[cat]++
		n++
		progress.tick(n)
		return nil
	})
	progress.done()
	if errors.Is(err, events.ErrChainBroken) {
		fmt.Fprintf(env.stdout, "  hash chains: BROKEN after %d good events\n  first broken: %v\n", n, err)
		return failureError{msg: err.Error()}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "  events: %d in %d streams (head position %d)\n", n, verifier.Streams(), head)
	printCounts(env.stdout, "  ", byCategory)
	fmt.Fprintln(env.stdout, "  hash chains: ok — every link and version sequence verifies")
	return nil
}

// scanAll feeds every stored event, in global order, to fn.
func scanAll(ctx context.Context, st eventstore.Store, fn func(*events.Record) error) error {
	var after uint64
	for {
		batch, err := st.ReadAll(ctx, after, readBatch)
		if err != nil {
			return fmt.Errorf("read events after position %d: %w", after, err)
		}
		for i := range batch {
			if err := fn(&batch[i]); err != nil {
				return err
			}
			after = batch[i].GlobalPosition
		}
		if len(batch) < readBatch {
			return nil
		}
	}
}

func printCounts(w io.Writer, indent string, counts map[string]int) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s  %-18s %d\n", indent, k, counts[k])
	}
}

// progress prints "N/total" to w at most once a second while long work runs,
// and nothing for work that finishes quickly.
type progress struct {
	w     io.Writer
	verb  string
	total uint64
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(w io.Writer, verb string, total uint64) *progress {
	now := time.Now()
	return &progress{w: w, verb: verb, total: total, start: now, last: now}
}

func (p *progress) tick(n uint64) {
	if n%1024 != 0 {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= time.Second {
		p.last = now
		p.shown = true
		fmt.Fprintf(p.w, "\r  %s %d/%d events (%.0f%%)", p.verb, n, p.total, 100*float64(n)/float64(max(p.total, 1)))
	}
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprintf(p.w, "\r  %s all events in %s\n", p.verb, time.Since(p.start).Round(time.Millisecond))
	}
}
