// Package projections holds worldval's read models: views folded from the
// event store for the HTTP API, the CLI and the workers.
//
// Each projection ([RunCurrent], [RunHistory], [Policies],
// [ApprovedOverrides], [Invariants]) has a stable name, folds events in global order through
// its Apply and ApplyBatch methods, and keeps its data and its checkpoint in a
// [Store], committed together in one atomic [Batch]. An event at or below the
// checkpoint is skipped, so re-delivering events is harmless, and a projection
// can always be rebuilt from position 0 into an empty store with [Rebuild].
//
// [AsOf] answers the same queries as the system knew them at an earlier
// instant, by folding only the events recorded at or before it into a
// throw-away [MemoryStore] with the same projection code; the current and the
// historical answers therefore cannot differ in shape.
//
// Stores: [MemoryStore] (the embedded profile, and [AsOf]) and, later, a Redis
// store. Every store passes the conformance suite in projections/storetest.
//
// # Running a projection
//
// At start, build each projection over its store and catch it up, then keep
// it current with a subscription from its own checkpoint (the checkpoint in
// the projection's store, not the event store's checkpoint table, because it
// is committed atomically with the data):
//
//	runs, _ := projections.NewRunCurrent(store, events.Catalogue())
//	cp, _ := runs.Checkpoint(ctx)
//	err := eventStore.Subscribe(ctx, cp, runs.Apply) // Apply is an eventstore.Handler
//
// For an empty in-memory store, [Rebuild] catches up in large batches first.
//
// # Serving the API
//
// GET /worlds/{w}/strategies/{s}/runs/{r} is [RunCurrent.Get]; the metrics
// endpoint answers 409 E_RUN_NOT_EVALUATED when the view's Status is
// [StatusEvaluating]. GET .../runs/{r}/history is [RunHistory.History].
// GET /worlds/{w}/runs?strategy=&stage=&status=&verdict=&limit=&cursor= and
// GET /worlds/{w}/strategies/{s}/runs are [RunCurrent.List] with a
// [ListQuery]; hand back RunPage.NextCursor as the next cursor. Policies are
// [Policies.World], [Policies.Version] and [Policies.Default]; the re-review
// list is [ApprovedOverrides.List]. GET /worlds/{w}/runs/metrics (what a
// policy diff over history reads) is [RunCurrent.ListMetricsRaw].
// GET /worlds/{w}/validations/invariants computes its report from
// [InvariantReader.World], which reads the world record from [Invariants] and
// the runs from [RunCurrent].
//
// A run is folded once, by [RunCurrent] (and by [RunHistory], for its
// revisions): the metrics listing and the invariants' runs are read from
// its committed views rather than kept a second time, which would double
// the memory the collector has to mark and the work of every verdict.
//
// With ?as_of=T (RFC 3339) every GET calls [AsOf] with T instead:
// [AsOf.Run], [AsOf.History], [AsOf.Runs], [AsOf.Policies], [AsOf.Policy],
// [AsOf.DefaultPolicy] and [AsOf.ApprovedOverrides] take the arguments of
// the query they stand for; list cursors work the same way. Errors map to HTTP in
// one place: [ErrNotFound] → 404, [ErrInvalidQuery] and [ErrInvalidCursor] →
// 400, anything else → 500. Views carry no links: the HTTP layer adds them.
package projections
