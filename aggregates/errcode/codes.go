package errcode

import "net/http"

// Code is a stable, machine-readable error code such as "E_RUN_NOT_FOUND".
type Code string

// The codes of the product, grouped by what they concern. The table in [All]
// gives each its HTTP status and description.
const (
	// Validation reports a request or command whose content is invalid
	// (missing field, bad value).
	Validation Code = "E_VALIDATION"
	// Unauthorized reports a request without valid credentials.
	Unauthorized Code = "E_UNAUTHORIZED"
	// Forbidden reports credentials that lack the scope for the operation.
	Forbidden Code = "E_FORBIDDEN"
	// Conflict reports a write that kept losing to concurrent writes to the
	// same stream; retrying later may succeed.
	Conflict Code = "E_CONFLICT"
	// Internal reports a failure of the service itself (storage, bug).
	Internal Code = "E_INTERNAL"
	// Unavailable reports that the service cannot answer now (shutting
	// down, store closed); retrying later may succeed.
	Unavailable Code = "E_UNAVAILABLE"

	// BadRequest reports a request the API cannot read at all: malformed
	// JSON, or a malformed query parameter (as_of, limit, cursor, filter).
	BadRequest Code = "E_BAD_REQUEST"
	// NotFound reports a path that names no route of the API.
	NotFound Code = "E_NOT_FOUND"
	// MethodNotAllowed reports a method the path does not support; the
	// Allow header lists those it does.
	MethodNotAllowed Code = "E_METHOD_NOT_ALLOWED"
	// PayloadTooLarge reports a request body above the API's limit, or
	// content above the event store's payload limit.
	PayloadTooLarge Code = "E_PAYLOAD_TOO_LARGE"
	// UnsupportedMediaType reports a request body whose Content-Type the
	// route does not read.
	UnsupportedMediaType Code = "E_UNSUPPORTED_MEDIA_TYPE"
	// IdempotencyKeyReused reports an idempotency key already used for a
	// different request; a new request needs a new key.
	IdempotencyKeyReused Code = "E_IDEMPOTENCY_KEY_REUSED"
	// UnknownCommand reports a Kafka message whose CloudEvents type is not
	// a command of the topic it arrived on.
	UnknownCommand Code = "E_UNKNOWN_COMMAND"
	// NotImplemented reports a well-formed command that this build does not
	// apply yet; the dead letter can be replayed once it does.
	NotImplemented Code = "E_NOT_IMPLEMENTED"

	// RunNotFound reports an evaluation run that was never submitted.
	RunNotFound Code = "E_RUN_NOT_FOUND"
	// RunNotEvaluated reports a read of results of a run that is still
	// evaluating (validation-core §13.2).
	RunNotEvaluated Code = "E_RUN_NOT_EVALUATED"
	// RunAlreadyEvaluated reports a different request for a run id that is
	// already evaluated; re-evaluation needs a new run id (CD8, §2.5).
	RunAlreadyEvaluated Code = "E_RUN_ALREADY_EVALUATED"
	// RunAlreadySubmitted reports a different request for a run id that is
	// still evaluating. It is the evaluating-state twin of
	// RunAlreadyEvaluated: the run id is taken by another request whose
	// verdict is not recorded yet, and the caller needs a new run id.
	RunAlreadySubmitted Code = "E_RUN_ALREADY_SUBMITTED"

	// PolicyInvalid reports a policy document that cannot be used.
	PolicyInvalid Code = "E_POLICY_INVALID"
	// PolicyUnknownKey reports an unknown key inside a validation-bearing
	// block of a policy (CD6, §6.8).
	PolicyUnknownKey Code = "E_POLICY_UNKNOWN_KEY"
	// PolicyInvalidValue reports an invalid severity or owner in a policy
	// (CD6, §6.8).
	PolicyInvalidValue Code = "E_POLICY_INVALID_VALUE"
	// PolicyNotFound reports a world that has no policy at all (no default
	// and none inline).
	PolicyNotFound Code = "E_POLICY_NOT_FOUND"
	// PolicyVersionNotFound reports a policy version the world does not
	// have.
	PolicyVersionNotFound Code = "E_POLICY_VERSION_NOT_FOUND"

	// SnapshotHashMismatch reports a risk snapshot whose supplied hash is
	// not the hash of its content.
	SnapshotHashMismatch Code = "E_SNAPSHOT_HASH_MISMATCH"
	// SnapshotVersionConflict reports a risk snapshot version already
	// recorded with a different hash.
	SnapshotVersionConflict Code = "E_SNAPSHOT_VERSION_CONFLICT"
	// SnapshotExpired reports a risk snapshot that is already expired.
	SnapshotExpired Code = "E_SNAPSHOT_EXPIRED"
	// SnapshotNotFound reports a risk snapshot look-up with no match.
	SnapshotNotFound Code = "E_SNAPSHOT_NOT_FOUND"
	// SnapshotInvalid reports a risk snapshot that breaks the snapshot
	// contract (risk-hub §2); the message is the contract's.
	SnapshotInvalid Code = "E_SNAPSHOT_INVALID"
	// SnapshotBlobNotFound reports a risk snapshot whose reference names
	// a blob the hub's blob store does not hold.
	SnapshotBlobNotFound Code = "E_SNAPSHOT_BLOB_NOT_FOUND"

	// PolicyFailClosedRequired reports a policy publication that a
	// high-tier critical world refuses because the policy's validation
	// block is not fail-closed (Invariant 2 at publish time,
	// validation-core §10.4, §15.12).
	PolicyFailClosedRequired Code = "E_POLICY_FAIL_CLOSED_REQUIRED"
	// ModelCardInvalid reports a model card without the minimum fields of
	// validation-core §12.2, or with fields of the wrong type.
	ModelCardInvalid Code = "E_MODEL_CARD_INVALID"
	// ModelCardNotFound reports a model card version the strategy does not
	// have.
	ModelCardNotFound Code = "E_MODEL_CARD_NOT_FOUND"
	// ModelCardVersionConflict reports a model card version already
	// published with different content; a changed card needs a new version.
	ModelCardVersionConflict Code = "E_MODEL_CARD_VERSION_CONFLICT"
)

// Spec is one row of the registry.
type Spec struct {
	// Code is the stable code.
	Code Code
	// HTTPStatus is the status an HTTP API answers with.
	HTTPStatus int
	// Description is a one-sentence, caller-facing meaning of the code,
	// used as the message when an error carries none.
	Description string
}

// All returns the registry, one row per code, in a fixed order. The slice is
// freshly allocated; callers may keep or change it.
func All() []Spec {
	return []Spec{
		{Validation, http.StatusUnprocessableEntity, "the request is invalid"},
		{Unauthorized, http.StatusUnauthorized, "authentication is required"},
		{Forbidden, http.StatusForbidden, "the credentials do not allow this operation"},
		{Conflict, http.StatusConflict, "the resource was changed concurrently; retry the request"},
		{Internal, http.StatusInternalServerError, "internal error"},
		{Unavailable, http.StatusServiceUnavailable, "the service is unavailable; retry later"},
		{BadRequest, http.StatusBadRequest, "the request is malformed"},
		{NotFound, http.StatusNotFound, "no such resource"},
		{MethodNotAllowed, http.StatusMethodNotAllowed, "the method is not allowed on this resource"},
		{PayloadTooLarge, http.StatusRequestEntityTooLarge, "the request is too large"},
		{UnsupportedMediaType, http.StatusUnsupportedMediaType, "the request body's content type is not supported"},
		{IdempotencyKeyReused, http.StatusConflict, "the idempotency key was already used for a different request"},
		{UnknownCommand, http.StatusBadRequest, "the message type is not a command of its topic"},
		{NotImplemented, http.StatusNotImplemented, "this build does not apply the command yet"},

		{RunNotFound, http.StatusNotFound, "evaluation run not found"},
		{RunNotEvaluated, http.StatusConflict, "evaluation run has no metrics yet"},
		{RunAlreadyEvaluated, http.StatusConflict, "evaluation run is already evaluated with a different request; use a new run_id"},
		{RunAlreadySubmitted, http.StatusConflict, "evaluation run is being evaluated for a different request; use a new run_id"},

		{PolicyInvalid, http.StatusUnprocessableEntity, "invalid policy"},
		{PolicyUnknownKey, http.StatusUnprocessableEntity, "the policy has an unknown key"},
		{PolicyInvalidValue, http.StatusUnprocessableEntity, "the policy has an invalid value"},
		{PolicyNotFound, http.StatusNotFound, "policy not found"},
		{PolicyVersionNotFound, http.StatusNotFound, "policy version not found"},

		{SnapshotHashMismatch, http.StatusUnprocessableEntity, "hash mismatch"},
		{SnapshotVersionConflict, http.StatusConflict, "snapshot version already recorded with a different hash"},
		{SnapshotExpired, http.StatusUnprocessableEntity, "snapshot is expired"},
		{SnapshotNotFound, http.StatusNotFound, "snapshot not found"},
		{SnapshotInvalid, http.StatusUnprocessableEntity, "invalid snapshot"},
		{SnapshotBlobNotFound, http.StatusUnprocessableEntity, "the snapshot references a blob that does not exist"},
		{PolicyFailClosedRequired, http.StatusUnprocessableEntity, "a high-tier critical world accepts only a fail-closed policy"},
		{ModelCardInvalid, http.StatusUnprocessableEntity, "invalid model card"},
		{ModelCardNotFound, http.StatusNotFound, "model card not found"},
		{ModelCardVersionConflict, http.StatusConflict, "model card version already published with different content"},
	}
}

// Lookup returns the registry row of c. An unregistered code reports false.
func Lookup(c Code) (Spec, bool) {
	for _, s := range All() {
		if s.Code == c {
			return s, true
		}
	}
	return Spec{}, false
}

// HTTPStatus returns the HTTP status of c, or 500 for a code that is not in
// the registry (a programming error that must not leak as a client error).
func (c Code) HTTPStatus() int {
	if s, ok := Lookup(c); ok {
		return s.HTTPStatus
	}
	return http.StatusInternalServerError
}

// Description returns the registered description of c, or the code itself
// for a code that is not in the registry.
func (c Code) Description() string {
	if s, ok := Lookup(c); ok {
		return s.Description
	}
	return string(c)
}
