package errcode

import (
	"errors"
	"fmt"
)

// Error is a domain error with a registered [Code]. It may wrap a cause (kept
// for logs and errors.Is, never shown to API callers) and carry details, a
// JSON-serialisable map such as {"path": "validation_profiles.backtest.x"}.
type Error struct {
	// Code is the registered code; it decides the HTTP status.
	Code Code
	// Message is the caller-facing message; empty means the code's
	// description.
	Message string
	// Details are structured, caller-facing facts about the error.
	Details map[string]any
	// Err is the underlying cause, if any.
	Err error
}

// New returns an error with code c and a message formatted from format and
// args.
func New(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with code c and message msg that wraps cause.
func Wrap(c Code, cause error, msg string) *Error {
	return &Error{Code: c, Message: msg, Err: cause}
}

// WithDetail returns e after setting details[key] = value. It is meant for
// building an error before it is returned, not for sharing one.
func (e *Error) WithDetail(key string, value any) *Error {
	if e.Details == nil {
		e.Details = make(map[string]any)
	}
	e.Details[key] = value
	return e
}

// Error returns "CODE: message", followed by ": cause" when there is one.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code.Description()
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, msg)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &errcode.Error{Code: errcode.RunNotFound}) matches any
// RunNotFound error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// HTTPStatus returns the HTTP status of the error's code.
func (e *Error) HTTPStatus() int { return e.Code.HTTPStatus() }

// From returns the first *Error in err's chain, if any.
func From(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf returns the code of the first *Error in err's chain, [Internal] for
// any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := From(err); ok {
		return e.Code
	}
	return Internal
}

// Has reports whether err's chain holds an *Error with code c.
func Has(err error, c Code) bool {
	return errors.Is(err, &Error{Code: c})
}
