// Package world is the world aggregate (validation-core §1, §6.7): the world
// record's settings that no policy version holds — its risk_profile, its
// client_critical flag and its world-level validation block — on the stream
// world/{world}.
//
// The settings are the source of truth for fail-closed enforcement at
// evaluation time, for Invariant 2, and for the re-review window of approved
// overrides. Each change replaces the whole record; setting the same record
// again, or retrying a command, appends nothing.
package world
