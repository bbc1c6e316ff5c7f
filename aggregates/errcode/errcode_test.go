package errcode_test

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/worldval/worldval/aggregates/errcode"
)

func TestRegistryIsWellFormed(t *testing.T) {
	codeForm := regexp.MustCompile(`^E_[A-Z]+(_[A-Z]+)*$`)
	seen := make(map[errcode.Code]bool)
	for _, s := range errcode.All() {
		if seen[s.Code] {
			t.Errorf("%s registered twice", s.Code)
		}
		seen[s.Code] = true
		if !codeForm.MatchString(string(s.Code)) {
			t.Errorf("%q is not an E_UPPER_SNAKE code", s.Code)
		}
		if s.HTTPStatus < 400 || s.HTTPStatus > 599 || http.StatusText(s.HTTPStatus) == "" {
			t.Errorf("%s: HTTP status %d is not an error status", s.Code, s.HTTPStatus)
		}
		if s.Description == "" || strings.TrimSpace(s.Description) != s.Description {
			t.Errorf("%s: description %q", s.Code, s.Description)
		}
		if got, ok := errcode.Lookup(s.Code); !ok || got != s {
			t.Errorf("Lookup(%s) = %+v, %v", s.Code, got, ok)
		}
	}
}

func TestSpecifiedStatuses(t *testing.T) {
	// Statuses the specification fixes (validation-core §13, CD6, CD8).
	for code, want := range map[errcode.Code]int{
		errcode.RunNotEvaluated:       http.StatusConflict,
		errcode.RunAlreadyEvaluated:   http.StatusConflict,
		errcode.RunNotFound:           http.StatusNotFound,
		errcode.PolicyVersionNotFound: http.StatusNotFound,
		errcode.PolicyUnknownKey:      http.StatusUnprocessableEntity,
		errcode.PolicyInvalidValue:    http.StatusUnprocessableEntity,
		errcode.PolicyInvalid:         http.StatusUnprocessableEntity,
		errcode.Validation:            http.StatusUnprocessableEntity,
	} {
		if got := code.HTTPStatus(); got != want {
			t.Errorf("%s.HTTPStatus() = %d, want %d", code, got, want)
		}
	}
	if got := errcode.RunNotEvaluated.Description(); got != "evaluation run has no metrics yet" {
		t.Errorf("E_RUN_NOT_EVALUATED message = %q (spec §13.2)", got)
	}
}

func TestUnregisteredCode(t *testing.T) {
	c := errcode.Code("E_NOPE")
	if _, ok := errcode.Lookup(c); ok {
		t.Fatal("Lookup found an unregistered code")
	}
	if c.HTTPStatus() != http.StatusInternalServerError || c.Description() != "E_NOPE" {
		t.Fatalf("unregistered code maps to %d %q", c.HTTPStatus(), c.Description())
	}
}

func TestErrorWrapsAndMatchesByCode(t *testing.T) {
	cause := errors.New("disk on fire")
	err := fmt.Errorf("submit: %w", errcode.Wrap(errcode.Internal, cause, "cannot store run"))
	if !errors.Is(err, cause) {
		t.Fatal("cause not reachable through errors.Is")
	}
	if !errcode.Has(err, errcode.Internal) || errcode.Has(err, errcode.RunNotFound) {
		t.Fatal("Has matches the wrong code")
	}
	if got := err.Error(); got != "submit: E_INTERNAL: cannot store run: disk on fire" {
		t.Fatalf("Error() = %q", got)
	}
	e, ok := errcode.From(err)
	if !ok || e.HTTPStatus() != http.StatusInternalServerError {
		t.Fatalf("From = %+v, %v", e, ok)
	}

	nf := errcode.New(errcode.RunNotFound, "run %s not found", "r1").WithDetail("run_id", "r1")
	if nf.Error() != "E_RUN_NOT_FOUND: run r1 not found" || nf.Details["run_id"] != "r1" || nf.Unwrap() != nil {
		t.Fatalf("New = %+v", nf)
	}
	if (&errcode.Error{Code: errcode.RunNotFound}).Error() != "E_RUN_NOT_FOUND: evaluation run not found" {
		t.Fatal("empty message must fall back to the description")
	}
}

func TestCodeOf(t *testing.T) {
	if errcode.CodeOf(nil) != "" {
		t.Fatal("CodeOf(nil) != \"\"")
	}
	if errcode.CodeOf(errors.New("x")) != errcode.Internal {
		t.Fatal("plain errors must be internal")
	}
	if errcode.CodeOf(fmt.Errorf("a: %w", errcode.New(errcode.PolicyInvalid, "bad"))) != errcode.PolicyInvalid {
		t.Fatal("CodeOf does not unwrap")
	}
}
