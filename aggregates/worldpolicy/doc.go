// Package worldpolicy is the world-policy aggregate (validation-core §1,
// §13.3): the numbered policy versions of one world and which of them is the
// default, on the stream world-policy/{world}.
//
// Versions are integers starting at 1, one per publication; the first
// published version becomes the default in the same append. Both commands are
// idempotent: a retried command appends nothing. Validating the policy DSL is
// not this package's job; it only requires a JSON object.
package worldpolicy
