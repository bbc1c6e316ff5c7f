package storetest

import (
	"fmt"
	"testing"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// testOrdering appends to several streams in turn and checks that the global
// order is the append order, that each stream's versions run 1, 2, … and that
// the results name the positions the events were stored at.
func testOrdering(t *testing.T, h Harness) {
	s, _ := newStore(t, h, Config{})
	streams := []string{"order/a", "order/b", "order/c/with%2Fslash", "order/ünïcödé"}
	var appended []events.Event
	var appendedStream []string
	versions := map[string]uint64{}
	lastPos := map[int]uint64{} // append index → result position
	ends := map[int]int{}       // append index → index of its last event in appended
	for i := range 24 {
		stream := streams[(i*7)%len(streams)]
		evs := eventsN(fmt.Sprintf("order/%d", i), 1+i%3)
		res := mustAppend(t, s, stream, eventstore.Exact(versions[stream]), evs...)
		versions[stream] += uint64(len(evs))
		if res.StreamVersion != versions[stream] || res.Duplicate {
			t.Fatalf("append %d to %s: result %+v, want version %d", i, stream, res, versions[stream])
		}
		appended = append(appended, evs...)
		for range evs {
			appendedStream = append(appendedStream, stream)
		}
		lastPos[i], ends[i] = res.Position, len(appended)-1
	}
	recs := verifyChains(t, s)
	if len(recs) != len(appended) {
		t.Fatalf("read %d events, appended %d", len(recs), len(appended))
	}
	seen := map[string]uint64{}
	for i := range recs {
		if err := sameEvent(&recs[i].Event, &appended[i]); err != nil {
			t.Fatalf("global event %d: %v", i, err)
		}
		if recs[i].Stream != appendedStream[i] {
			t.Fatalf("global event %d in stream %s, appended to %s", i, recs[i].Stream, appendedStream[i])
		}
		seen[recs[i].Stream]++
		if recs[i].StreamVersion != seen[recs[i].Stream] {
			t.Fatalf("global event %d: version %d, want %d", i, recs[i].StreamVersion, seen[recs[i].Stream])
		}
		if recs[i].RecordedAt.IsZero() {
			t.Fatalf("global event %d has no recorded_at", i)
		}
	}
	for i, pos := range lastPos {
		if got := recs[ends[i]].GlobalPosition; got != pos {
			t.Errorf("append %d: result position %d, last event stored at %d", i, pos, got)
		}
	}
}

// testReadFromMiddle reads a stream and the global order from inside, with
// and without limits, and pages through both.
func testReadFromMiddle(t *testing.T, h Harness) {
	s, _ := newStore(t, h, Config{})
	const stream, other = "middle/a", "middle/b"
	for i := range 10 {
		mustAppend(t, s, stream, eventstore.Exact(i), event(fmt.Sprintf("middle/a/%d", i), i))
		mustAppend(t, s, other, eventstore.Exact(i), event(fmt.Sprintf("middle/b/%d", i), i))
	}
	ctx := testContext(t)
	versions := func(recs []events.Record) []uint64 {
		out := make([]uint64, len(recs))
		for i, r := range recs {
			out[i] = r.StreamVersion
		}
		return out
	}
	for _, tc := range []struct {
		from  uint64
		limit int
		want  []uint64
	}{
		{0, 0, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{1, -1, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{4, 3, []uint64{4, 5, 6}},
		{8, 100, []uint64{8, 9, 10}},
		{10, 1, []uint64{10}},
		{11, 0, nil},
		{1 << 40, 5, nil},
	} {
		recs, err := s.ReadStream(ctx, stream, tc.from, tc.limit)
		if err != nil {
			t.Fatalf("read %s from %d limit %d: %v", stream, tc.from, tc.limit, err)
		}
		if got := versions(recs); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("read %s from %d limit %d: versions %v, want %v", stream, tc.from, tc.limit, got, tc.want)
		}
		for _, r := range recs {
			if r.Stream != stream {
				t.Fatalf("read %s returned an event of %s", stream, r.Stream)
			}
		}
	}
	_, err := s.ReadStream(ctx, "middle/none", 0, 0)
	wantErr(t, "read of a stream with no events", err, eventstore.ErrStreamNotFound)
	_, err = s.ReadStream(ctx, "", 0, 0)
	wantErr(t, "read of the empty stream name", err, events.ErrInvalidStream)

	all := verifyChains(t, s)
	for _, tc := range []struct{ after, limit int }{{0, 5}, {3, 4}, {19, 10}, {20, 10}, {7, 0}} {
		after := uint64(0)
		if tc.after > 0 {
			after = all[tc.after-1].GlobalPosition
		}
		recs, err := s.ReadAll(ctx, after, tc.limit)
		if err != nil {
			t.Fatalf("read all after %d: %v", after, err)
		}
		want := all[tc.after:]
		if tc.limit > 0 && len(want) > tc.limit {
			want = want[:tc.limit]
		}
		if len(recs) != len(want) {
			t.Fatalf("read all after %d limit %d: %d events, want %d", after, tc.limit, len(recs), len(want))
		}
		for i := range recs {
			if err := sameRecord(&recs[i], &want[i]); err != nil {
				t.Fatalf("read all after %d limit %d: event %d: %v", after, tc.limit, i, err)
			}
		}
	}
	recs, err := s.ReadAll(ctx, all[len(all)-1].GlobalPosition+1000, 10)
	if err != nil || len(recs) != 0 {
		t.Fatalf("read all beyond the head: %d events, %v", len(recs), err)
	}

	// Paging with a small limit visits every event once.
	var paged []events.Record
	for after := uint64(0); ; {
		page, err := s.ReadAll(ctx, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].GlobalPosition
	}
	if len(paged) != len(all) {
		t.Fatalf("paged read: %d events, want %d", len(paged), len(all))
	}
	var streamPaged []events.Record
	for from := uint64(1); ; {
		page, err := s.ReadStream(ctx, stream, from, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		streamPaged = append(streamPaged, page...)
		from = page[len(page)-1].StreamVersion + 1
	}
	if len(streamPaged) != 10 {
		t.Fatalf("paged stream read: %d events, want 10", len(streamPaged))
	}
}
