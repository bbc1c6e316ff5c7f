// Package blobstore keeps the large members of risk snapshots (covariance,
// realized returns, stress) that the risk hub moves out of its events
// (risk-hub spec §2.10, D9). Blobs are immutable and content-addressed: a
// name is written once, and writing it again with the same name is a no-op.
// A referenced blob must outlive every snapshot that references it, so no
// backend expires blobs.
//
// Backends: [File] (the embedded profile: files under the data directory)
// and [Redis]. Every backend passes the conformance suite in
// blobstore/blobtest.
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrNotFound reports a blob that the store does not hold.
var ErrNotFound = errors.New("blob not found")

// ErrInvalidName reports a blob name that no backend may store: empty, not
// valid UTF-8, absolute, or with an empty, "." or ".." segment.
var ErrInvalidName = errors.New("invalid blob name")

// Store keeps blobs by name. Names are "/"-separated relative paths such as
// "w/v1/covariance-0123456789abcdef.json". Implementations are safe for
// concurrent use.
type Store interface {
	// Put stores data under name unless a blob of that name exists, and
	// reports whether it created it. Blobs are content-addressed, so an
	// existing blob is assumed to hold the same bytes and is left alone.
	Put(ctx context.Context, name string, data []byte) (created bool, err error)
	// Get returns the blob called name, or an error wrapping
	// [ErrNotFound].
	Get(ctx context.Context, name string) ([]byte, error)
	// Exists reports whether a blob called name is stored.
	Exists(ctx context.Context, name string) (bool, error)
	// Delete removes the blob called name; removing a missing blob is not
	// an error.
	Delete(ctx context.Context, name string) error
	// Ref returns the reference snapshots carry for name, such as
	// "file:///var/lib/worldval/risk-blobs/w/v1/covariance-….json" or
	// "redis://risk-blobs:w/v1/covariance-….json".
	Ref(name string) string
	// Name inverts Ref: it returns the name a reference of this store
	// names, and false for a reference of any other store or location.
	Name(ref string) (string, bool)
	// Close releases the store's resources.
	Close() error
}

// CheckName returns an error wrapping [ErrInvalidName] when name cannot be a
// blob name.
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidName, name)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("%w: %q is absolute", ErrInvalidName, name)
	case strings.ContainsAny(name, "\x00\\"):
		return fmt.Errorf("%w: %q holds a NUL or a backslash", ErrInvalidName, name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, \".\" or \"..\" segment", ErrInvalidName, name)
		}
	}
	return nil
}
