// Package errcode is worldval's single registry of machine-readable error
// codes: every domain error a caller can see carries a stable [Code], and the
// code alone decides the HTTP status and the description an API answers with.
// Codes are a product surface: once published, a code keeps its spelling and
// its meaning; a new condition gets a new code.
//
// Domain code returns an [*Error] (through [New] or [Wrap]); transports map it
// with [Lookup] or [Error.HTTPStatus] and nothing else, so the mapping lives in
// exactly one place, the table in [All].
package errcode
