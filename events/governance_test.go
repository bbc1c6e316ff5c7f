package events_test

import (
	"testing"

	"github.com/worldval/worldval/events"
)

func TestGovernanceStreams(t *testing.T) {
	for _, tc := range []struct {
		got  func() (string, error)
		want string
	}{
		{func() (string, error) { return events.WorldStream("w/1") }, "world/w%2F1"},
		{func() (string, error) { return events.ModelCardStream("mom 1") }, "model-card/mom%201"},
	} {
		got, err := tc.got()
		if err != nil || got != tc.want {
			t.Errorf("stream = %q, %v; want %q", got, err, tc.want)
		}
	}
	if _, err := events.WorldStream(""); err == nil {
		t.Error("WorldStream accepted an empty world")
	}
	if _, err := events.ModelCardStream(""); err == nil {
		t.Error("ModelCardStream accepted an empty strategy")
	}
}
