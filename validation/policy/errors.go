package policy

import (
	"errors"
	"strconv"
	"strings"
)

// Error codes carried by [Problem]. They are part of the HTTP contract: the API
// answers 422 with the code and the offending path.
const (
	// CodeInvalid marks a document that is not a policy at all: a syntax
	// error, a non-mapping root, a duplicate key, or no policy for a world.
	CodeInvalid = "E_POLICY_INVALID"
	// CodeUnknownKey marks a key that a validation-bearing block does not
	// allow (CD6, validation-core §6.8).
	CodeUnknownKey = "E_POLICY_UNKNOWN_KEY"
	// CodeInvalidValue marks a value of the wrong type or outside its domain
	// (a bad severity or owner, a numeric string, k ≤ 0, …).
	CodeInvalidValue = "E_POLICY_INVALID_VALUE"
)

// Sentinel errors, one per code, so callers can branch with errors.Is on an
// [*Error] or a single [Problem].
var (
	// ErrInvalid is matched by problems with code [CodeInvalid].
	ErrInvalid = errors.New("invalid policy")
	// ErrUnknownKey is matched by problems with code [CodeUnknownKey].
	ErrUnknownKey = errors.New("unknown key")
	// ErrInvalidValue is matched by problems with code [CodeInvalidValue].
	ErrInvalidValue = errors.New("invalid value")
	// ErrNoPolicy is matched when a world has neither an inline nor a default
	// policy (see [Resolve]).
	ErrNoPolicy = errors.New("world has no policy")
)

// Problem is one defect of a policy document: the JSON path of the offending
// key or value (dotted, e.g. "validation_profiles.paper.performance.sharpe_minn";
// names that contain '.', '[' or '"' are quoted in brackets, list items are
// indexed as "stages[1]"; "" is the document root), a stable code and a
// human-readable message.
type Problem struct {
	// Path is the location of the problem in the document.
	Path string `json:"path"`
	// Code is one of CodeInvalid, CodeUnknownKey, CodeInvalidValue.
	Code string `json:"code"`
	// Message describes the problem without repeating the path.
	Message string `json:"message"`
}

// Error renders the problem as "path: message".
func (p Problem) Error() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Is reports whether target is the sentinel error of the problem's code.
func (p Problem) Is(target error) bool {
	switch p.Code {
	case CodeUnknownKey:
		return target == ErrUnknownKey
	case CodeInvalidValue:
		return target == ErrInvalidValue
	case CodeInvalid:
		return target == ErrInvalid || (target == ErrNoPolicy && p.Message == ErrNoPolicy.Error())
	}
	return false
}

// Error is the error returned for a rejected policy. It lists every problem
// found, in document order, so that the HTTP layer can answer 422 with all
// offending paths at once.
type Error struct {
	// Problems holds at least one problem.
	Problems []Problem
}

// Error renders "invalid policy: " followed by the problems, separated by "; ".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid policy: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 8 {
			b.WriteString("and " + strconv.Itoa(len(e.Problems)-i) + " more")
			break
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Code returns the code of the first problem, the one an API response that has
// room for a single code should carry.
func (e *Error) Code() string {
	if len(e.Problems) == 0 {
		return CodeInvalid
	}
	return e.Problems[0].Code
}

// Unwrap exposes the problems to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Warning is a non-fatal remark about an accepted policy (an ignored top-level
// key, a stage mapping to an undefined profile). Warnings are reported back on
// policy upload.
type Warning struct {
	// Path locates the remark in the document.
	Path string `json:"path"`
	// Message describes it.
	Message string `json:"message"`
}

// String renders the warning as "path: message".
func (w Warning) String() string { return w.Path + ": " + w.Message }

// childPath appends an object member name to a JSON path.
func childPath(parent, key string) string {
	plain := key != ""
	for i := 0; i < len(key) && plain; i++ {
		switch key[i] {
		case '.', '[', ']', '"', ' ':
			plain = false
		}
	}
	if !plain {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath appends a list index to a JSON path.
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}
