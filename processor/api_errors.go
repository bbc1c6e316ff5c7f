package processor

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/policy"
)

// apiErrorOf maps any error an API handler returns to the [errcode.Error] the
// caller sees. It is the API's only translation of errors into codes; the
// HTTP status then comes from the error-code registry alone (see
// [writeAPIError]). Errors that carry no code of their own are classified by
// the sentinel they wrap; anything unrecognised is E_INTERNAL, with a message
// that never shows the cause.
func apiErrorOf(err error) *errcode.Error {
	if e, ok := errcode.From(err); ok {
		if e.Code == errcode.Internal {
			return &errcode.Error{Code: errcode.Internal, Details: e.Details}
		}
		return e
	}
	var pe *policy.Error
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &pe):
		return (&errcode.Error{Code: errcode.PolicyInvalid, Message: pe.Error()}).WithDetail("problems", pe.Problems)
	case errors.As(err, &tooLarge):
		return errcode.New(errcode.PayloadTooLarge, "the request body is larger than %d bytes", tooLarge.Limit).
			WithDetail("limit_bytes", tooLarge.Limit)
	case errors.Is(err, events.ErrPayloadTooLarge):
		return errcode.New(errcode.PayloadTooLarge, "the request does not fit in one event (at most %d bytes of payload)", events.MaxPayloadSize).
			WithDetail("limit_bytes", events.MaxPayloadSize)
	case errors.Is(err, projections.ErrInvalidCursor):
		return errcode.New(errcode.BadRequest, "the cursor is not one this API issued; start the listing again without it").
			WithDetail("parameter", "cursor")
	case errors.Is(err, projections.ErrInvalidQuery):
		return errcode.New(errcode.BadRequest, "%s", err.Error())
	case errors.Is(err, projections.ErrNotFound):
		return &errcode.Error{Code: errcode.NotFound}
	case errors.Is(err, eventstore.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &errcode.Error{Code: errcode.Unavailable}
	}
	return &errcode.Error{Code: errcode.Internal}
}

// writeAPIError answers r with err in the product's error body,
// {"error": {"code", "message", "details"}}, and the status the error-code
// registry gives its code. Server-side failures (5xx) are logged with their
// cause, which the body never shows.
func writeAPIError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := apiErrorOf(err)
	if e.HTTPStatus() >= http.StatusInternalServerError && log != nil {
		log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method), slog.String("route", r.Pattern), slog.String("path", r.URL.Path),
			slog.String("code", string(e.Code)), slog.Any("err", err))
	}
	if e.Code == errcode.Unavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeAuthError(w, e) // the product's one error writer, shared with the authenticator
}
