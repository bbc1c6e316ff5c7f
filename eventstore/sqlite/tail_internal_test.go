package sqlite

import (
	"fmt"
	"testing"

	"github.com/worldval/worldval/events"
)

func tailRecs(positions ...uint64) []events.Record {
	recs := make([]events.Record, len(positions))
	for i, p := range positions {
		recs[i] = events.Record{GlobalPosition: p, Event: events.Event{Payload: []byte(fmt.Sprintf(`{"p":%d}`, p))}}
	}
	return recs
}

// readPositions reads the tail after the given position and returns the
// positions served, or nil and false when the tail cannot serve it.
func readPositions(t *testing.T, tl *tail, after uint64, limit int) ([]uint64, bool) {
	t.Helper()
	recs, ok := tl.read(after, nil, limit)
	if !ok {
		if len(recs) != 0 {
			t.Fatalf("read after %d: not served, yet %d records", after, len(recs))
		}
		return nil, false
	}
	pos := []uint64{}
	for _, r := range recs {
		if want := fmt.Sprintf(`{"p":%d}`, r.GlobalPosition); string(r.Payload) != want {
			t.Fatalf("record %d has payload %s", r.GlobalPosition, r.Payload)
		}
		pos = append(pos, r.GlobalPosition)
	}
	return pos, true
}

func TestTailRing(t *testing.T) {
	tl := newTail(4, 1<<20)
	if _, ok := readPositions(t, tl, 0, 10); ok {
		t.Fatal("a tail that has seen no commit served a read")
	}
	tl.publish(tailRecs(11, 12, 13)) // starts after 10
	for _, tc := range []struct {
		after uint64
		limit int
		want  []uint64 // nil: not served
	}{
		{9, 10, nil},
		{10, 10, []uint64{11, 12, 13}},
		{10, 2, []uint64{11, 12}},
		{12, 10, []uint64{13}},
		{13, 10, []uint64{}},
		{99, 10, []uint64{}}, // beyond the end: nothing yet
	} {
		got, ok := readPositions(t, tl, tc.after, tc.limit)
		if ok != (tc.want != nil) || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("after %d limit %d: %v %v, want %v", tc.after, tc.limit, got, ok, tc.want)
		}
	}
	// Wrap around: 14..17 push out 11..13; positions need not be dense.
	tl.publish(tailRecs(14, 15))
	tl.publish(tailRecs(16, 20))
	if _, ok := readPositions(t, tl, 12, 10); ok {
		t.Error("served a read from before the tail's start")
	}
	if got, _ := readPositions(t, tl, 13, 10); fmt.Sprint(got) != "[14 15 16 20]" {
		t.Errorf("after 13: %v", got)
	}
	if got, _ := readPositions(t, tl, 17, 10); fmt.Sprint(got) != "[20]" {
		t.Errorf("after 17: %v", got)
	}
	// Invalidated: nothing until the next publish, which starts afresh.
	tl.invalidate()
	if _, ok := readPositions(t, tl, 20, 10); ok {
		t.Error("an invalidated tail served a read")
	}
	tl.publish(tailRecs(31))
	if _, ok := readPositions(t, tl, 20, 10); ok {
		t.Error("served a read from before a restarted tail's start")
	}
	if got, _ := readPositions(t, tl, 30, 10); fmt.Sprint(got) != "[31]" {
		t.Errorf("after 30: %v", got)
	}
}

func TestTailByteBudget(t *testing.T) {
	size := recordSize(&tailRecs(1)[0])
	tl := newTail(100, 3*size)
	tl.publish(tailRecs(1, 2, 3, 4, 5))
	if got, ok := readPositions(t, tl, 2, 10); !ok || fmt.Sprint(got) != "[3 4 5]" {
		t.Errorf("after 2: %v %v, want [3 4 5]", got, ok)
	}
	if _, ok := readPositions(t, tl, 1, 10); ok {
		t.Error("served a read from before the tail's start")
	}
	// A record larger than the budget passes through: the tail is empty
	// but still vouches for everything up to it.
	big := tailRecs(6)
	big[0].Payload = make([]byte, 4*size)
	tl.publish(big)
	if got, ok := readPositions(t, tl, 6, 10); !ok || len(got) != 0 {
		t.Errorf("after 6: %v %v, want served and empty", got, ok)
	}
	if _, ok := readPositions(t, tl, 5, 10); ok {
		t.Error("served a read across a record the tail no longer holds")
	}
}

func TestTailDisabled(t *testing.T) {
	tl := newTail(0, 1<<20)
	tl.publish(tailRecs(1, 2))
	if _, ok := readPositions(t, tl, 0, 10); ok {
		t.Error("a disabled tail served a read")
	}
}
