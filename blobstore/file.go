package blobstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxSegment is the longest segment of a name kept as a file or directory
// name; longer ones (a long world id, percent-encoded) are replaced by a
// digest on disk, because file systems limit names to 255 bytes.
const maxSegment = 200

// File is a [Store] of files under one base directory: a blob called
// "w/v1/covariance-….json" is the file <base>/w/v1/covariance-….json, and
// its reference is "file://<base>/w/v1/covariance-….json" (QMTL's format).
// Writes are durable (file and directory synced) and atomic: a blob appears
// whole or not at all. Build it with [OpenFile].
type File struct {
	base string
}

var _ Store = (*File)(nil)

// OpenFile returns the file store under dir, creating the directory. dir is
// made absolute, so references stay valid when the working directory
// changes.
func OpenFile(dir string) (*File, error) {
	if dir == "" {
		return nil, errors.New("blobstore: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return &File{base: abs}, nil
}

// Dir returns the store's base directory.
func (f *File) Dir() string { return f.base }

// path returns the file of name.
func (f *File) path(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	segs := strings.Split(name, "/")
	for i, s := range segs {
		if len(s) > maxSegment {
			sum := sha256.Sum256([]byte(s))
			segs[i] = "~" + hex.EncodeToString(sum[:16])
		}
	}
	return filepath.Join(append([]string{f.base}, segs...)...), nil
}

// Put writes data to a temporary file, syncs it and links it into place,
// which fails when the blob exists; the directory is synced after a
// creation.
func (f *File) Put(ctx context.Context, name string, data []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	p, err := f.path(name)
	if err != nil {
		return false, err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return false, fmt.Errorf("put blob %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return false, fmt.Errorf("put blob %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, fmt.Errorf("put blob %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("put blob %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("put blob %s: %w", name, err)
	}
	if err := os.Link(tmp.Name(), p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("put blob %s: %w", name, err)
	}
	if err := syncDir(dir); err != nil {
		return true, fmt.Errorf("put blob %s: %w", name, err)
	}
	return true, nil
}

// Get reads the blob.
func (f *File) Get(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := f.path(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", name, err)
	}
	return b, nil
}

// Exists reports whether the blob's file exists.
func (f *File) Exists(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	p, err := f.path(name)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("blob %s: %w", name, err)
}

// Delete removes the blob's file and the directories it leaves empty.
func (f *File) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := f.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", name, err)
	}
	for dir := filepath.Dir(p); dir != f.base && strings.HasPrefix(dir, f.base); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty (or gone): stop
			break
		}
	}
	return nil
}

// Ref returns "file://" and the blob's path.
func (f *File) Ref(name string) string {
	return "file://" + f.base + "/" + name
}

// Name accepts "file://<base>/<name>" and, as QMTL does, the bare path
// "<base>/<name>".
func (f *File) Name(ref string) (string, bool) {
	rest, ok := strings.CutPrefix(ref, "file://")
	if !ok {
		rest = ref
	}
	name, ok := strings.CutPrefix(rest, f.base+"/")
	if !ok || CheckName(name) != nil {
		return "", false
	}
	return name, true
}

// Close does nothing; a file store holds no resources.
func (f *File) Close() error { return nil }

// syncDir makes the creation of an entry of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
