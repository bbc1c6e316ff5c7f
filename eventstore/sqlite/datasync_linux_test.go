package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestStartWriteback: a regular file accepts it (and keeps its bytes); a
// pipe, which has no pages to write, refuses it with the kernel's error,
// which the checkpointer then records once and stops asking.
func TestStartWriteback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("page"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("dirty"), 4); err != nil {
		t.Fatal(err)
	}
	if err := startWriteback(f); err != nil {
		t.Fatalf("regular file: %v", err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "pagedirty" {
		t.Fatalf("file after writeback: %q, %v", got, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := startWriteback(r); !errors.Is(err, syscall.ESPIPE) {
		t.Fatalf("pipe: %v, want ESPIPE", err)
	}
}
