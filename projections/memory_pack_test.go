package projections

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestPackedValuesAreReplacedAndDeleted: a key whose value was packed, under
// an index hash that makes keys clash, reads its packed value, then a value
// committed later, and nothing once deleted; other keys are untouched.
func TestPackedValuesAreReplacedAndDeleted(t *testing.T) {
	for name, s := range map[string]*MemoryStore{"seeded hash": newMemoryStore(1, nil), "clashing hash": NewMemoryStoreClashing(1)} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			pos := uint64(0)
			commit := func(ws ...Write) {
				t.Helper()
				if err := s.Commit(ctx, Batch{Projection: "p", From: pos, To: pos + 1, Writes: ws}); err != nil {
					t.Fatal(err)
				}
				pos++
			}
			run := func(id string) *runState {
				return &runState{foldMark: foldMark{Position: 7}, View: RunView{RunID: id, Metrics: []byte(`{}`)}}
			}
			keys := []string{"p/run/a", "p/run/bb", "p/run/ccc", "p/run/dddd"}
			for _, k := range keys {
				commit(Put{Key: k, obj: run(k)})
			}
			if values, _ := s.Len(); values != len(keys) {
				t.Fatalf("%d values, want %d", values, len(keys))
			}
			for _, k := range keys[:3] { // all but the last are packed
				v, found, err := s.value(ctx, k)
				if err != nil || !found || v.unpack == nil {
					t.Fatalf("%s: %+v, %v, %v; want it packed", k, v, found, err)
				}
				o, err := v.object()
				if err != nil || o.(*runState).View.RunID != k {
					t.Fatalf("%s: unpacked %+v, %v", k, o, err)
				}
			}
			commit(Delete{Key: keys[1]}, Put{Key: keys[0], Value: []byte(`"new"`)})
			if _, err := s.Get(ctx, keys[1]); !errors.Is(err, ErrNotFound) {
				t.Fatalf("deleted %s: %v", keys[1], err)
			}
			if raw, err := s.Get(ctx, keys[0]); err != nil || string(raw) != `"new"` {
				t.Fatalf("replaced %s: %s, %v", keys[0], raw, err)
			}
			raw, err := s.Get(ctx, keys[2])
			if want := fmt.Sprintf(`"run_id":%q`, keys[2]); err != nil || !strings.Contains(string(raw), want) {
				t.Fatalf("%s: %s, %v", keys[2], raw, err)
			}
			if values, _ := s.Len(); values != len(keys)-1 {
				t.Fatalf("%d values after a delete, want %d", values, len(keys)-1)
			}
		})
	}
}

// TestSlabsAreCompacted: runs rewritten again and again after they were
// packed leave their old records behind; slabs left mostly dead are
// compacted, so the slabs stay within four times the live records (plus
// the slab being filled), and every run still reads back as last written.
func TestSlabsAreCompacted(t *testing.T) {
	for name, s := range map[string]*MemoryStore{"seeded hash": newMemoryStore(1, nil), "clashing hash": NewMemoryStoreClashing(1)} {
		t.Run(name, func(t *testing.T) {
			s.slabBytes = 512
			ctx := t.Context()
			pos := uint64(0)
			const runs = 60
			for round := range 25 {
				for i := range runs {
					k := fmt.Sprintf("p/run/%02d", i)
					st := &runState{foldMark: foldMark{Position: uint64(round)}, View: RunView{RunID: k, Metrics: []byte(`{"round":` + fmt.Sprint(round) + `}`)}}
					if err := s.Commit(ctx, Batch{Projection: "p", From: pos, To: pos + 1, Writes: []Write{Put{Key: k, obj: st}}}); err != nil {
						t.Fatal(err)
					}
					pos++
				}
				for i := range runs {
					k := fmt.Sprintf("p/run/%02d", i)
					v, found, err := s.value(ctx, k)
					if err != nil || !found {
						t.Fatalf("round %d, %s: %v, %v", round, k, found, err)
					}
					o, err := v.object()
					if st, ok := o.(*runState); err != nil || !ok || st.Position != uint64(round) || st.View.RunID != k {
						t.Fatalf("round %d, %s: read %+v, %v", round, k, o, err)
					}
				}
				live, held, slabs := 0, 0, 0
				for i, b := range s.slabs {
					if b != nil {
						live += s.slabLive[i]
						held += cap(b)
						slabs++
					}
				}
				if held > 4*live+2*s.slabBytes {
					t.Fatalf("round %d: %d slabs hold %d bytes for %d live", round, slabs, held, live)
				}
			}
			if len(s.freeSlabs) == 0 {
				t.Fatal("no slab was ever compacted")
			}
		})
	}
}
