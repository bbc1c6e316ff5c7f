package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

const auditExportHelp = `Write every stream of a world, whole, as JSON Lines in global order: one stored record per line
with its chain fields (stream, stream_version, global_position, prev_hash, hash, recorded_at, …) and its payload
byte for byte, so that 'worldval audit verify --file FILE' can check the export offline. A payload that cannot sit
on one line unchanged (stored with line breaks or surrounding white space) is written as payload_base64. The
global_position is not covered by the hash (history may be copied between stores); verify checks that it increases.

A world's streams are every stream named after it: its runs (evaluation-run/W/…, with their overrides, annotations
and extended results), policy versions (world-policy/W), settings (world/W), risk snapshots (risk-snapshot/W),
cohorts (cohort/W/…), campaigns (campaign/W/…), live monitoring and exit signals. Model cards belong to
strategies, not worlds: the export adds the whole model-card stream of every strategy that has a run in the world,
including cards published for other worlds. The export is cut at the store head read when it starts, so it is
consistent while the service keeps writing.

The summary names the file's SHA-256: keep it. A chain proves each line it holds, not that no line was dropped
from the end of a stream; the digest (or a second export) does.`

func auditExportCommand() command {
	return command{
		name:     "audit export",
		synopsis: "Export every stream of a world, whole and hash-chained, as JSON Lines for offline verification.",
		usage:    "--world W --out FILE [--data-dir DIR] [--force]\n\n" + auditExportHelp,
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			dataDir := dataDirFlag(fs, env)
			world := fs.String("world", "", "the world `id` to export (required)")
			out := fs.String("out", "", "the JSON Lines `file` to write (required)")
			force := fs.Bool("force", false, "replace --out if it exists")
			return func(ctx context.Context, args []string) error {
				switch {
				case len(args) > 0:
					return usagef("unexpected argument %q", args[0])
				case *world == "":
					return usagef("--world is required")
				case *out == "":
					return usagef("--out is required")
				}
				if _, err := events.WorldStream(*world); err != nil {
					return usagef("--world %q: %v", *world, err)
				}
				if _, err := os.Stat(*out); err == nil && !*force {
					return usagef("%s exists (use --force to replace it)", *out)
				} else if err != nil && !errors.Is(err, os.ErrNotExist) {
					return usagef("--out %s: %v", *out, err)
				}
				return auditExport(ctx, env, *dataDir, *world, *out)
			}
		},
	}
}

// worldStreams is what an export holds of a world: its streams and the
// strategies whose model cards it adds.
type worldStreams struct {
	world   string
	streams map[string]bool
	// strategies are the strategies with a run in the world.
	strategies map[string]bool
}

// ofWorld reports whether stream is named after the world: its first
// component after the category is the world id. Model-card streams are
// named after a strategy and never count.
func (w *worldStreams) ofWorld(stream string) (category string, ids []string, ok bool) {
	cat, ids, err := events.ParseStream(stream)
	if err != nil || cat == events.CategoryModelCard || len(ids) == 0 || ids[0] != w.world {
		return cat, ids, false
	}
	return cat, ids, true
}

// selects reports whether the export holds stream.
func (w *worldStreams) selects(stream string) bool {
	if w.streams[stream] {
		return true
	}
	cat, ids, err := events.ParseStream(stream)
	return err == nil && cat == events.CategoryModelCard && len(ids) == 1 && w.strategies[ids[0]]
}

func auditExport(ctx context.Context, env *environment, dataDir, world, out string) error {
	st, path, err := openExistingStore(ctx, env, dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	head, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	fmt.Fprintf(env.stdout, "audit export: world %s from %s (head position %d)\n", world, path, head)

	// First pass: which streams are the world's, and its strategies.
	sel := &worldStreams{world: world, streams: map[string]bool{}, strategies: map[string]bool{}}
	progress := newProgress(env.stderr, "selected", head)
	var n uint64
	err = scanUpTo(ctx, st, head, func(rec *events.Record) error {
		n++
		progress.tick(n)
		if cat, ids, ok := sel.ofWorld(rec.Stream); ok {
			sel.streams[rec.Stream] = true
			if cat == events.CategoryEvaluationRun && len(ids) == 3 {
				sel.strategies[ids[1]] = true
			}
		}
		return nil
	})
	progress.done()
	if err != nil {
		return err
	}
	if len(sel.streams) == 0 {
		return usagef("the store at %s holds no stream of world %q", path, world)
	}

	// Second pass: write the selected streams' events in global order to a
	// temporary file next to out, renamed over it once complete and synced.
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return usagef("--out %s: %v", out, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	sum := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(tmp, sum), 1<<20)
	byCategory := map[string]int{}
	streams := map[string]bool{}
	var line []byte
	var written int
	progress = newProgress(env.stderr, "exported", head)
	n = 0
	err = scanUpTo(ctx, st, head, func(rec *events.Record) error {
		n++
		progress.tick(n)
		if !sel.selects(rec.Stream) {
			return nil
		}
		var err error
		if line, err = encodeExportLine(line[:0], rec); err != nil {
			return err
		}
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("write %s: %w", tmp.Name(), err)
		}
		if !streams[rec.Stream] {
			streams[rec.Stream] = true
			cat, _, _ := events.ParseStream(rec.Stream)
			byCategory[cat]++
		}
		written++
		return nil
	})
	progress.done()
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export to %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("export to %s: %w", out, err)
	}
	fmt.Fprintf(env.stdout, "  wrote %s: %d events in %d streams\n", out, written, len(streams))
	fmt.Fprintln(env.stdout, "  streams by category:")
	printCounts(env.stdout, "  ", byCategory)
	fmt.Fprintf(env.stdout, "  sha256 %s\n", hex.EncodeToString(sum.Sum(nil)))
	return nil
}

// scanUpTo feeds every stored event up to global position head, in global
// order, to fn: a cut that stays consistent while the store is written.
func scanUpTo(ctx context.Context, st eventstore.Store, head uint64, fn func(*events.Record) error) error {
	errDone := errors.New("past head")
	err := scanAll(ctx, st, func(rec *events.Record) error {
		if rec.GlobalPosition > head {
			return errDone
		}
		return fn(rec)
	})
	if errors.Is(err, errDone) {
		return nil
	}
	return err
}
