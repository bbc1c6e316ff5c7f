// Package blobtest is the conformance suite every [blobstore.Store] backend
// passes.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/worldval/worldval/blobstore"
)

// Run runs the suite against the store open returns. Each subtest gets its
// own store and names blobs under a prefix unique to the subtest, so a
// shared server needs no cleaning between runs.
func Run(t *testing.T, open func(t *testing.T) blobstore.Store) {
	t.Run("PutGetExistsDelete", func(t *testing.T) { putGetDelete(t, open(t)) })
	t.Run("PutIsCreateOnce", func(t *testing.T) { createOnce(t, open(t)) })
	t.Run("RefRoundTrip", func(t *testing.T) { refs(t, open(t)) })
	t.Run("InvalidNames", func(t *testing.T) { invalidNames(t, open(t)) })
	t.Run("ConcurrentPuts", func(t *testing.T) { concurrent(t, open(t)) })
	t.Run("LargeAndBinary", func(t *testing.T) { large(t, open(t)) })
}

func unique(t *testing.T) string {
	return strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
}

func putGetDelete(t *testing.T, s blobstore.Store) {
	ctx := t.Context()
	name := unique(t) + "/v1/covariance-0123456789abcdef.json"
	if ok, err := s.Exists(ctx, name); err != nil || ok {
		t.Fatalf("Exists before Put = %v, %v", ok, err)
	}
	if _, err := s.Get(ctx, name); !errors.Is(err, blobstore.ErrNotFound) {
		t.Fatalf("Get before Put = %v, want ErrNotFound", err)
	}
	data := []byte(`{"a,a":0.04}`)
	if created, err := s.Put(ctx, name, data); err != nil || !created {
		t.Fatalf("Put = %v, %v", created, err)
	}
	got, err := s.Get(ctx, name)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if ok, err := s.Exists(ctx, name); err != nil || !ok {
		t.Fatalf("Exists after Put = %v, %v", ok, err)
	}
	if err := s.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(ctx, name); ok {
		t.Fatal("blob survives Delete")
	}
	if err := s.Delete(ctx, name); err != nil {
		t.Fatalf("Delete of a missing blob: %v", err)
	}
}

func createOnce(t *testing.T, s blobstore.Store) {
	ctx := t.Context()
	name := unique(t) + "/x.json"
	if created, err := s.Put(ctx, name, []byte("first")); err != nil || !created {
		t.Fatalf("first Put = %v, %v", created, err)
	}
	if created, err := s.Put(ctx, name, []byte("second")); err != nil || created {
		t.Fatalf("second Put = %v, %v", created, err)
	}
	if got, _ := s.Get(ctx, name); string(got) != "first" {
		t.Fatalf("content %q after a second Put", got)
	}
	_ = s.Delete(ctx, name)
}

func refs(t *testing.T, s blobstore.Store) {
	name := unique(t) + "/w%2Fx/realized-00.json"
	ref := s.Ref(name)
	if got, ok := s.Name(ref); !ok || got != name {
		t.Fatalf("Name(Ref(%q)) = %q, %v (ref %q)", name, got, ok, ref)
	}
	for _, foreign := range []string{"", "s3://bucket/x.json", "http://example.com/x", ref + "/../../etc/passwd", strings.Replace(ref, name, "../outside", 1)} {
		if got, ok := s.Name(foreign); ok {
			t.Errorf("Name(%q) = %q, want a refusal", foreign, got)
		}
	}
}

func invalidNames(t *testing.T, s blobstore.Store) {
	ctx := t.Context()
	for _, name := range []string{"", "/abs", "a//b", "a/../b", "./a", "a/.", "a\x00b", "a\\b", "\xff"} {
		if _, err := s.Put(ctx, name, []byte("x")); !errors.Is(err, blobstore.ErrInvalidName) {
			t.Errorf("Put(%q) = %v, want ErrInvalidName", name, err)
		}
		if _, err := s.Get(ctx, name); !errors.Is(err, blobstore.ErrInvalidName) {
			t.Errorf("Get(%q) = %v, want ErrInvalidName", name, err)
		}
	}
}

func concurrent(t *testing.T, s blobstore.Store) {
	ctx := context.WithoutCancel(t.Context())
	name := unique(t) + "/same.json"
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for range 16 {
		wg.Go(func() {
			c, err := s.Put(ctx, name, []byte("same content"))
			if err != nil {
				t.Error(err)
			}
			if c {
				mu.Lock()
				created++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if created != 1 {
		t.Fatalf("%d concurrent Puts report a creation, want 1", created)
	}
	_ = s.Delete(ctx, name)
}

func large(t *testing.T, s blobstore.Store) {
	ctx := t.Context()
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	long := strings.Repeat("%C3%A9", 60) // a long percent-encoded world id
	name := fmt.Sprintf("%s/%s/stress-00.json", unique(t), long)
	if _, err := s.Put(ctx, name, data); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, name)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get of %d bytes: %d bytes, %v", len(data), len(got), err)
	}
	_ = s.Delete(ctx, name)
}
