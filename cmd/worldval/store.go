package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/worldval/worldval/eventstore/sqlite"
	"github.com/worldval/worldval/processor"
)

// openExistingStore opens the embedded event store of dataDir for reading. It
// refuses to create a new, empty store where the caller expected history.
func openExistingStore(ctx context.Context, dataDir string) (*sqlite.Store, string, error) {
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
	return st, path, nil
}
