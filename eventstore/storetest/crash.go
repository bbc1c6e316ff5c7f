package storetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
)

// Environment of the crash test's child process.
const (
	envCrashLocation = "WORLDVAL_STORETEST_CRASH_LOCATION"
	envCrashRound    = "WORLDVAL_STORETEST_CRASH_ROUND"
)

// Shape of the crash test.
const (
	crashWorkers = 4
	crashStreams = 5
	crashAcks    = 300 // acknowledged appends before the kill
	crashRounds  = 2   // kill, reopen in a new child, kill again
	crashMaxLife = 60 * time.Second
)

// CrashChildMain turns the test binary into the crash test's child process
// when the test asked for one, and returns at once otherwise. Call it first
// in the backend's TestMain. The child opens the store at the location the
// parent named, appends from several goroutines, and prints one line per
// acknowledged append until it is killed.
func CrashChildMain(h Harness) {
	loc := os.Getenv(envCrashLocation)
	if loc == "" {
		return
	}
	round, _ := strconv.Atoi(os.Getenv(envCrashRound))
	if err := crashChild(h, loc, round); err != nil {
		fmt.Fprintln(os.Stderr, "storetest crash child:", err)
		os.Exit(2)
	}
	os.Exit(3) // only reached when nobody killed the child in time
}

// crashAppendOf returns the events of one append of the crash child; the
// parent calls it too, to know what each acknowledgement promised.
func crashAppendOf(round, worker, seq int) (string, []events.Event) {
	n := 1 + seq%3
	evs := make([]events.Event, n)
	key := fmt.Sprintf("crash/%d/%d/%d", round, worker, seq)
	for k := range evs {
		body, _ := json.Marshal(crashAppend{Round: round, Worker: worker, Seq: seq, K: k, N: n,
			Pad: strings.Repeat("p", (seq*389+k*97)%3000)})
		evs[k] = events.Event{
			ID:             events.IDFromKeyN(key, k),
			Type:           typeCrashed,
			SchemaVersion:  1,
			OccurredAt:     time.Date(2026, 1, 2, 3, 4, 5, seq, time.UTC),
			IdempotencyKey: key,
			Payload:        body,
		}
	}
	return fmt.Sprintf("crash/%d", (worker+seq)%crashStreams), evs
}

func crashChild(h Harness, loc string, round int) error {
	ctx, cancel := context.WithTimeout(context.Background(), crashMaxLife)
	defer cancel()
	s, err := h.Open(ctx, loc, Config{Registry: registry()})
	if err != nil {
		return err
	}
	var out sync.Mutex
	errs := make(chan error, crashWorkers)
	for w := range crashWorkers {
		go func() {
			for seq := 0; ; seq++ {
				stream, evs := crashAppendOf(round, w, seq)
				res, err := s.Append(ctx, stream, eventstore.Any{}, evs...)
				if err != nil {
					errs <- fmt.Errorf("worker %d append %d: %w", w, seq, err)
					return
				}
				// One write per line, unbuffered: once the parent reads it,
				// the append was acknowledged.
				line := fmt.Sprintf("ack %d %d %d %d\n", w, seq, res.StreamVersion, res.Position)
				out.Lock()
				_, err = os.Stdout.WriteString(line)
				out.Unlock()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	return <-errs
}

// ack is one acknowledged append as the child reported it.
type ack struct {
	round, worker, seq int
	version, position  uint64
}

// testCrash runs the child, kills it with SIGKILL after crashAcks
// acknowledged appends, and checks the reopened store: every acknowledged
// event is there with its exact payload, every append is all-or-nothing,
// every stream is gap-free and every chain verifies. It does this
// crashRounds times on the same location.
func testCrash(t *testing.T, h Harness) {
	loc := h.NewLocation(t)
	var acks []ack
	for round := range crashRounds {
		acks = append(acks, runCrashChild(t, loc, round)...)
		s := openAt(t, h, loc, Config{Registry: registry()})
		checkCrashStore(t, s, acks)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runCrashChild starts the child on loc, kills it after crashAcks acks, and
// returns every ack it printed (including those still in the pipe).
func runCrashChild(t *testing.T, loc string, round int) []ack {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCrashLocation+"="+loc, envCrashRound+"="+strconv.Itoa(round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(waitTimeout, func() { cmd.Process.Kill() })
	defer timer.Stop()
	var acks []ack
	killed := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var a ack
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d %d %d", &a.worker, &a.seq, &a.version, &a.position); err != nil {
			continue // not ours (a test framework line)
		}
		a.round = round
		acks = append(acks, a)
		if len(acks) == crashAcks && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code runs
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("crash child (round %d) exited after %d acks without being killed: %v\n"+
			"(does the backend's TestMain call storetest.CrashChildMain?)\nstderr:\n%s", round, len(acks), err, stderr.String())
	}
	return acks
}

// checkCrashStore checks the reopened store against the acks of all rounds.
func checkCrashStore(t *testing.T, s eventstore.Store, acks []ack) {
	t.Helper()
	if c, ok := s.(interface{ IntegrityCheck(context.Context) error }); ok {
		if err := c.IntegrityCheck(testContext(t)); err != nil {
			t.Fatalf("integrity check after the crash: %v", err)
		}
	}
	recs := verifyChains(t, s) // gap-free versions, verified chains
	byID := make(map[string]*events.Record, len(recs))
	type appendKey struct{ round, worker, seq int }
	groups := map[appendKey][]*events.Record{}
	for i := range recs {
		r := &recs[i]
		byID[r.ID] = r
		var p crashAppend
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			t.Fatalf("event at position %d: payload %v", r.GlobalPosition, err)
		}
		k := appendKey{p.Round, p.Worker, p.Seq}
		groups[k] = append(groups[k], r)
	}
	// Acknowledged appends are all there, exactly as appended.
	for _, a := range acks {
		stream, evs := crashAppendOf(a.round, a.worker, a.seq)
		for k := range evs {
			r, ok := byID[evs[k].ID]
			if !ok {
				t.Fatalf("acknowledged append (round %d worker %d seq %d) lost event %d of %d", a.round, a.worker, a.seq, k+1, len(evs))
			}
			if r.Stream != stream {
				t.Fatalf("acknowledged event %s in stream %s, appended to %s", r.ID, r.Stream, stream)
			}
			if err := sameEvent(&r.Event, &evs[k]); err != nil {
				t.Fatalf("acknowledged event %s: %v", r.ID, err)
			}
			if want := a.version - uint64(len(evs)-1-k); r.StreamVersion != want {
				t.Fatalf("acknowledged event %s at version %d, the ack implied %d", r.ID, r.StreamVersion, want)
			}
		}
		if last := byID[evs[len(evs)-1].ID]; last.GlobalPosition != a.position {
			t.Fatalf("acknowledged append ended at position %d, the ack said %d", last.GlobalPosition, a.position)
		}
	}
	// Every append that reached the store, acknowledged or not, is whole and
	// contiguous in its stream.
	for k, rs := range groups {
		stream, evs := crashAppendOf(k.round, k.worker, k.seq)
		if len(rs) != len(evs) {
			t.Fatalf("append (round %d worker %d seq %d) half-written: %d of %d events stored", k.round, k.worker, k.seq, len(rs), len(evs))
		}
		for i, r := range rs {
			if r.Stream != stream || r.StreamVersion != rs[0].StreamVersion+uint64(i) {
				t.Fatalf("append (round %d worker %d seq %d) not contiguous in %s", k.round, k.worker, k.seq, stream)
			}
			if err := sameEvent(&r.Event, &evs[i]); err != nil {
				t.Fatalf("append (round %d worker %d seq %d) event %d: %v", k.round, k.worker, k.seq, i, err)
			}
		}
	}
	t.Logf("after the crash: %d acknowledged appends, %d appends stored, %d events", len(acks), len(groups), len(recs))
}
