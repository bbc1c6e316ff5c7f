package blobstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/worldval/worldval/blobstore"
	"github.com/worldval/worldval/blobstore/blobtest"
)

func TestFileConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blobstore.Store {
		s, err := blobstore.OpenFile(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFileLayoutAndRefs(t *testing.T) {
	dir := t.TempDir()
	s, err := blobstore.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	name := "w/v1/covariance-0123456789abcdef.json"
	if _, err := s.Put(t.Context(), name, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "w", "v1", "covariance-0123456789abcdef.json")); err != nil {
		t.Fatalf("blob file: %v", err)
	}
	ref := s.Ref(name)
	if !strings.HasPrefix(ref, "file:///") || !strings.HasSuffix(ref, "/w/v1/covariance-0123456789abcdef.json") {
		t.Fatalf("ref %q", ref)
	}
	if got, ok := s.Name(strings.TrimPrefix(ref, "file://")); !ok || got != name {
		t.Fatalf("bare path: %q %v", got, ok)
	}
	if err := s.Delete(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	// Delete leaves no empty directories and no temporary files behind.
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Fatalf("base dir after Delete: %v, %v", entries, err)
	}
	if _, err := blobstore.OpenFile(""); err == nil {
		t.Fatal("empty dir accepted")
	}
}
