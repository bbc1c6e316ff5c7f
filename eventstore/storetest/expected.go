package storetest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/worldval/worldval/eventstore"
)

// testExpectedVersion appends with every kind of expectation to an empty
// stream and to a stream at version 2.
func testExpectedVersion(t *testing.T, h Harness) {
	s, _ := newStore(t, h, Config{})
	cases := []struct {
		before   uint64 // events already in the stream
		expected eventstore.ExpectedVersion
		ok       bool
	}{
		{0, eventstore.Any{}, true},
		{0, eventstore.NoStream{}, true},
		{0, eventstore.StreamExists{}, false},
		{0, eventstore.Exact(0), true},
		{0, eventstore.Exact(1), false},
		{2, eventstore.Any{}, true},
		{2, eventstore.NoStream{}, false},
		{2, eventstore.StreamExists{}, true},
		{2, eventstore.Exact(2), true},
		{2, eventstore.Exact(1), false},
		{2, eventstore.Exact(3), false},
		{2, eventstore.Exact(0), false},
	}
	for i, tc := range cases {
		stream := fmt.Sprintf("expected/%d", i)
		if tc.before > 0 {
			mustAppend(t, s, stream, eventstore.NoStream{}, eventsN(stream+"/setup", int(tc.before))...)
		}
		headBefore := head(t, s)
		evs := eventsN(stream+"/try", 2)
		res, err := s.Append(testContext(t), stream, tc.expected, evs...)
		what := fmt.Sprintf("append to %s at version %d expecting %s", stream, tc.before, tc.expected)
		if !tc.ok {
			wantErr(t, what, err, eventstore.ErrWrongExpectedVersion)
			msg := err.Error()
			for _, part := range []string{stream, tc.expected.String(), strconv.FormatUint(tc.before, 10)} {
				if !strings.Contains(msg, part) {
					t.Errorf("%s: error %q does not name %q", what, msg, part)
				}
			}
			if res != (eventstore.AppendResult{}) {
				t.Errorf("%s: failed append returned result %+v", what, res)
			}
			wantStreamVersion(t, s, stream, tc.before)
			if got := head(t, s); got != headBefore {
				t.Errorf("%s: head moved from %d to %d", what, headBefore, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if res.StreamVersion != tc.before+2 || res.Duplicate {
			t.Errorf("%s: result %+v, want version %d, not duplicate", what, res, tc.before+2)
		}
		if got := head(t, s); res.Position != got {
			t.Errorf("%s: result position %d, head %d", what, res.Position, got)
		}
		recs, err := s.ReadStream(testContext(t), stream, tc.before+1, 0)
		if err != nil {
			t.Fatalf("%s: read back: %v", what, err)
		}
		if len(recs) != 2 {
			t.Fatalf("%s: read back %d events, want 2", what, len(recs))
		}
		for j := range recs {
			if err := sameEvent(&recs[j].Event, &evs[j]); err != nil {
				t.Errorf("%s: event %d: %v", what, j, err)
			}
			if recs[j].StreamVersion != tc.before+uint64(j)+1 {
				t.Errorf("%s: event %d has version %d", what, j, recs[j].StreamVersion)
			}
		}
		if recs[1].GlobalPosition != res.Position {
			t.Errorf("%s: last event at position %d, result says %d", what, recs[1].GlobalPosition, res.Position)
		}
	}
	verifyChains(t, s)
}
