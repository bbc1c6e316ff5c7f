package events_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/worldval/worldval/events"
)

// v8Layout is the RFC 9562 textual layout of a version-8 UUID: lower-case hex
// in 8-4-4-4-12 groups, version nibble 8, variant bits 10 (so 8, 9, a or b).
var v8Layout = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestIDFromKeyIsDeterministic(t *testing.T) {
	for _, key := range []string{"", "a", "evaluation_run_submitted:w:s:r", "ключ", "a\x00b"} {
		if a, b := events.IDFromKey(key), events.IDFromKey(key); a != b {
			t.Fatalf("IDFromKey(%q) gave %s then %s", key, a, b)
		}
		if a, b := events.IDFromKey(key), events.IDFromKeyN(key, 0); a != b {
			t.Fatalf("IDFromKey(%q) = %s but IDFromKeyN(%q, 0) = %s", key, a, key, b)
		}
	}
	// Pinned values, computed outside Go (Python hashlib over the documented
	// input: bytes 0-15 of SHA-256(namespace ‖ key), with bytes 6-15 taken
	// from SHA-256(indexed namespace ‖ uint64be(n) ‖ key) when n > 0; then
	// the version and variant bits). A retried command finds its stored
	// events only while this derivation stays as it is.
	for _, tc := range []struct {
		key  string
		n    int
		want string
	}{
		{"k", 0, "b6663a69-ea37-87fa-91a2-a9e4f3ec6fb5"},
		{"k", 1, "b6663a69-ea37-8e26-b8d1-34e1ad7cf991"},
		{"k", 2, "b6663a69-ea37-8e8a-bdb5-2cb11aadeaec"},
	} {
		if got := events.IDFromKeyN(tc.key, tc.n); got != tc.want {
			t.Errorf("IDFromKeyN(%q, %d) = %s, want %s", tc.key, tc.n, got, tc.want)
		}
	}
}

func TestIDFromKeyIsDistinctPerKeyAndIndex(t *testing.T) {
	seen := make(map[string]string)
	add := func(key string, n int) {
		id := events.IDFromKeyN(key, n)
		what := fmt.Sprintf("(%q, %d)", key, n)
		if prev, dup := seen[id]; dup {
			t.Fatalf("IDFromKeyN%s = IDFromKeyN%s = %s", what, prev, id)
		}
		seen[id] = what
	}
	keys := []string{"", "a", "b", "ab", "a\x00", "a\x001", "a\x002", "1", "k:1", "k:10"}
	for i := 0; i < 200; i++ {
		keys = append(keys, fmt.Sprintf("key-%d", i))
	}
	for _, k := range keys {
		for n := 0; n < 12; n++ {
			add(k, n)
		}
	}
}

// TestIDFromKeyNKeepsACommandTogether checks what the derivation is for: the
// ids of one command share their first 48 bits (the text up to the second
// dash), so in id order a command's events sit side by side and no other
// command's id falls between them.
func TestIDFromKeyNKeepsACommandTogether(t *testing.T) {
	const commands, perCommand = 500, 8
	type entry struct {
		id  string
		cmd int
	}
	var all []entry
	for c := 0; c < commands; c++ {
		key := fmt.Sprintf("complete_run:w:s:run-%d", c)
		prefix := events.IDFromKey(key)[:13]
		for n := 0; n < perCommand; n++ {
			id := events.IDFromKeyN(key, n)
			if id[:13] != prefix {
				t.Fatalf("IDFromKeyN(%q, %d) = %s does not start with the first id's %s", key, n, id, prefix)
			}
			all = append(all, entry{id, c})
		}
	}
	slices.SortFunc(all, func(a, b entry) int { return strings.Compare(a.id, b.id) })
	runs := 0
	for i := range all {
		if i == 0 || all[i].cmd != all[i-1].cmd {
			runs++
		}
	}
	if runs != commands {
		t.Fatalf("in id order the %d commands' ids form %d runs, want one run each", commands, runs)
	}
}

func TestIDFromKeyHasVersion8Layout(t *testing.T) {
	for i := 0; i < 1000; i++ {
		id := events.IDFromKeyN(fmt.Sprintf("key-%d", i), i%5)
		if !v8Layout.MatchString(id) {
			t.Fatalf("IDFromKeyN(key-%d) = %s is not an RFC 9562 version-8 UUID", i, id)
		}
		ev := events.Event{ID: id, Type: "T", SchemaVersion: 1, Payload: []byte(`{}`)}
		if err := ev.Validate(); err != nil {
			t.Fatalf("Validate rejects derived id: %v", err)
		}
	}
}

func TestIDFromKeyNPanicsOnNegativeIndex(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("IDFromKeyN(k, -1) did not panic")
		}
	}()
	events.IDFromKeyN("k", -1)
}
