// Package risksnapshot is the risk-snapshot ledger of a world (stream
// risk-snapshot/{world}, risk-hub spec §2): the snapshot contract that
// every ingress runs ([Contract.Parse]), the canonical SHA-256 hash of
// decision D1 ([Snapshot.ComputeHash]), the ledger state that keeps every
// recorded version with its hash ([Ledger]), the identity decision between
// a new version, an idempotent re-send and a version conflict
// ([Ledger.Decide], [Ledger.Record]), expiry, and the offload plan of large
// members to the blob store ([PlanOffload], D9 and D24).
//
// Like every aggregate package it does no I/O, reads no clock and draws no
// random ids: times arrive in commands. The repository in package
// aggregates loads and appends; [aggregates.Cache] keeps the folded ledger
// between commands, so that the (world, version) uniqueness check does not
// replay the stream on every append (spec §8.2).
//
// Messages of contract failures are QMTL's (spec §2.2), so that producers
// and acceptance tests can match them; each failure is an
// [errcode.Error] whose code gives the HTTP status.
package risksnapshot
