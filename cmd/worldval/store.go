package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/processor"
)

// dataDirFlag defines the --data-dir flag of an offline command, which reads
// the store a service wrote: its default is WORLDVAL_DATA_DIR when set, as
// for serve, else "data", so that the store a service was started on with
// the variable is the one the command reads.
func dataDirFlag(flags *flag.FlagSet, env *environment) *string {
	def := "data"
	if v := env.getenv("WORLDVAL_DATA_DIR"); v != "" {
		def = v
	}
	return flags.String("data-dir", def, "`directory` of the embedded sqlite event store; WORLDVAL_DATA_DIR, when set, is the default, as for serve")
}

// openExistingStore opens the embedded event store of dataDir for reading. It
// refuses to create a new, empty store where the caller expected history,
// and says so on stderr when opening migrated the file to this build's
// schema.
func openExistingStore(ctx context.Context, env *environment, dataDir string) (*sqlite.Store, string, error) {
	path := processor.EventStorePath(dataDir)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, path, usagef("no event store at %s (is --data-dir right?)", path)
		}
		return nil, path, fmt.Errorf("stat %s: %w", path, err)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, path, err
	}
	if from, ok := st.Migrated(); ok {
		fmt.Fprintf(env.stderr, "worldval: migrated the event store %s from schema version %d to %d; builds before it no longer open it\n",
			path, from, sqlite.SchemaVersion)
	}
	return st, path, nil
}
