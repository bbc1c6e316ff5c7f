package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// Config is what the suite asks of a store it opens.
type Config struct {
	// Registry, when not nil, must make the store reject events that
	// [events.Registry.Check] rejects.
	Registry *events.Registry
	// Clock, when not nil, must be the store's source of RecordedAt.
	Clock func() time.Time
}

// Features says which optional behaviour a backend has; the suite runs the
// tests of a feature only when it is set.
type Features struct {
	// Checkpoints: the store also implements [eventstore.Checkpoints].
	Checkpoints bool
	// Durable: what a store acknowledged survives Close and a killed
	// process, and the same location opens the same data again. Enables
	// the reopen, close-under-load and crash tests; the crash test needs
	// the backend's TestMain to call [CrashChildMain].
	Durable bool
}

// Harness tells the suite how to make stores of one backend.
type Harness struct {
	// NewLocation returns a fresh, empty location for one test (a file
	// path, a database URL) and arranges its removal with t.Cleanup.
	NewLocation func(t testing.TB) string
	// Open opens the store at location. The suite closes every store it
	// opens. It must not depend on a *testing.T: the crash test's child
	// process calls it outside any test.
	Open func(ctx context.Context, location string, cfg Config) (eventstore.Store, error)
	// Corrupt, when not nil, damages the closed store at location so
	// that the backend's integrity check must catch it; the suite then
	// checks that Open fails with [eventstore.ErrCorrupt].
	Corrupt func(t testing.TB, location string)
	// Features lists the optional behaviour the backend has.
	Features Features
}

// Run runs the conformance suite as subtests of t. Each subtest uses its own
// location; most run in parallel.
func Run(t *testing.T, h Harness) {
	if h.NewLocation == nil || h.Open == nil {
		t.Fatal("storetest: Harness needs NewLocation and Open")
	}
	tests := []struct {
		name string
		run  func(*testing.T, Harness)
		when bool
	}{
		{"ExpectedVersion", testExpectedVersion, true},
		{"ConcurrentWritersOneStream", testConcurrentWriters, true},
		{"ConcurrentWritersRetrying", testConcurrentRetrying, true},
		{"IdempotentReappend", testIdempotency, true},
		{"Ordering", testOrdering, true},
		{"ReadFromMiddle", testReadFromMiddle, true},
		{"SubscribeUnderConcurrentAppends", testSubscribeConcurrent, true},
		{"SubscribeStops", testSubscribeStops, true},
		{"LargePayload", testLargePayload, true},
		{"InvalidInput", testInvalidInput, true},
		{"CanceledAppend", testCanceledAppend, true},
		{"Clock", testClock, true},
		{"Checkpoints", testCheckpoints, h.Features.Checkpoints},
		{"Reopen", testReopen, h.Features.Durable},
		{"CloseUnderLoad", testCloseUnderLoad, true},
		{"CrashDurability", testCrash, h.Features.Durable},
		{"CorruptionDetected", testCorrupt, h.Corrupt != nil},
	}
	for _, tc := range tests {
		if !tc.when {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, h)
		})
	}
}
