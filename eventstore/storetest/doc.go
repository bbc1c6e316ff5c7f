// Package storetest is the conformance suite every [eventstore.Store] backend
// passes. A backend's tests describe how to make and open a store with a
// [Harness] and call [Run]; backends whose data survives a process crash also
// call [CrashChildMain] from their TestMain so that the crash test can re-run
// the test binary as the process it kills.
//
//	func TestMain(m *testing.M) {
//		storetest.CrashChildMain(harness())
//		os.Exit(m.Run())
//	}
//
//	func TestConformance(t *testing.T) { storetest.Run(t, harness()) }
//
// The suite checks behaviour only through the [eventstore.Store] and
// [eventstore.Checkpoints] interfaces, plus an optional
// IntegrityCheck(context.Context) error method when the store has one. It
// requires of errors only what the interface documents: the sentinel errors
// through [errors.Is], and that a wrong expected version names the stream,
// the expectation and the actual version.
package storetest
