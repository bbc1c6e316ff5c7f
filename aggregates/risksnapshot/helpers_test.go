package risksnapshot_test

import (
	"testing"

	"github.com/worldval/worldval/aggregates/errcode"
)

// expectErr checks that err carries code and exactly message.
func expectErr(t *testing.T, err error, code errcode.Code, message string) {
	t.Helper()
	e, ok := errcode.From(err)
	if !ok {
		t.Fatalf("error %v carries no code; want %s %q", err, code, message)
	}
	if e.Code != code || e.Message != message {
		t.Fatalf("error %s %q, want %s %q", e.Code, e.Message, code, message)
	}
}
