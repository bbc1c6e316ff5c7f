package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/worldval/worldval/projections"
)

func TestProjectionsRebuildEveryProjection(t *testing.T) {
	dir, recs := seedStore(t, 5)
	code, out, stderr := runCLI(t, "projections", "rebuild", "--data-dir", dir, "--json", "all")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var reports []rebuildReport
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(reports) != len(projections.Names()) {
		t.Fatalf("%d reports, want one per projection", len(reports))
	}
	last := recs[len(recs)-1].GlobalPosition
	for i, r := range reports {
		if r.Projection != projections.Names()[i] || r.Events != len(recs) || r.Position != last || r.Head != last {
			t.Errorf("report %+v, want every one of %d events up to %d", r, len(recs), last)
		}
	}
	// The run projections hold the seeded runs; the policy one holds none.
	if reports[0].Values == 0 || reports[2].Values != 0 {
		t.Errorf("values held: %+v", reports)
	}

	code, out, _ = runCLI(t, "projections", "rebuild", "--data-dir", dir, projections.RunCurrentName)
	if code != exitOK || !strings.Contains(out, projections.RunCurrentName) ||
		!strings.Contains(out, fmt.Sprintf("%d events up to position %d", len(recs), last)) {
		t.Fatalf("text output: exit %d\n%s", code, out)
	}
}

func TestProjectionsRebuildUsage(t *testing.T) {
	dir, _ := seedStore(t, 1)
	for _, args := range [][]string{
		{"projections", "rebuild", "--data-dir", dir},
		{"projections", "rebuild", "--data-dir", dir, "nope"},
		{"projections", "rebuild", "--data-dir", dir, "all", "extra"},
		{"projections", "rebuild", "--data-dir", t.TempDir(), "all"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	_, _, stderr := runCLI(t, "projections", "rebuild", "--data-dir", dir, "nope")
	for _, name := range projections.Names() {
		if !strings.Contains(stderr, name) {
			t.Errorf("unknown-name error does not list %s: %s", name, stderr)
		}
	}
}
