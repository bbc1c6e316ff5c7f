// Package projections holds worldval's read models: views folded from the
// event store for the HTTP API, the CLI and the workers.
//
// Each projection ([RunCurrent], [RunHistory], [Policies],
// [ApprovedOverrides]) has a stable name, folds events in global order through
// its Apply and ApplyBatch methods, and keeps its data and its checkpoint in a
// [Store], committed together in one atomic [Batch]. An event at or below the
// checkpoint is skipped, so re-delivering events is harmless, and a projection
// can always be rebuilt from position 0 into an empty store with [Rebuild].
//
// [AsOf] answers the same queries as the system knew them at an earlier
// instant, by folding only the events recorded at or before it into a
// throw-away in-memory store and asking the same projection code; the current
// and the historical answers therefore can never disagree in shape.
//
// Stores: [MemoryStore] (the embedded profile, and [AsOf]) and, later, a Redis
// store. Every store passes the conformance suite in projections/storetest.
package projections
