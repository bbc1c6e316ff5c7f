package events

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

// storedVerdict returns the events of one run as `worldval bench ingest`
// stored them (testdata/verdict.tsv: type, tab, payload, one event a
// line): the submission with 252 returns, the metrics, five rule results
// and the verdict.
func storedVerdict(tb testing.TB) []Event {
	tb.Helper()
	data, err := os.ReadFile("testdata/verdict.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	var evs []Event
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		typ, payload, ok := strings.Cut(line, "\t")
		if !ok {
			tb.Fatalf("verdict.tsv line %d: no tab", i+1)
		}
		evs = append(evs, Event{ID: IDFromKeyN("verdict", i), Type: typ, SchemaVersion: 1, Payload: []byte(payload)})
	}
	return evs
}

// TestStoredVerdictRoundTrips decodes the stored payloads of a verdict and
// encodes them again: the fast paths read them (no fallback), read the
// values encoding/json reads, and write the stored bytes back, byte for byte.
func TestStoredVerdictRoundTrips(t *testing.T) {
	reg := Catalogue()
	for _, ev := range storedVerdict(t) {
		v, err := reg.Decode(&ev)
		if err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
		if !reflect.New(reflect.TypeOf(v).Elem()).Interface().(fastDecoder).decodeFast(ev.Payload) {
			t.Errorf("%s: the fast path declined the stored payload", ev.Type)
		}
		slow, err := referenceDecodeOf(v, ev.Payload)
		if err != nil || !reflect.DeepEqual(v, slow) {
			t.Errorf("%s: decoded %+v, encoding/json %+v (%v)", ev.Type, v, slow, err)
		}
		if _, ok := marshalFast(v); !ok {
			t.Errorf("%s: the fast encoder declined", ev.Type)
		}
		got, err := Marshal(v)
		if err != nil || !bytes.Equal(got, ev.Payload) {
			t.Errorf("%s: re-encoded\n%s\nstored\n%s", ev.Type, got, ev.Payload)
		}
	}
}

// referenceDecodeOf decodes body as the type v points to through
// encoding/json, as the registry does without its fast paths.
func referenceDecodeOf(v any, body []byte) (any, error) {
	switch v.(type) {
	case *EvaluationRunSubmitted:
		return decodeSlow[EvaluationRunSubmitted](body)
	case *MetricsComputed:
		return decodeSlow[MetricsComputed](body)
	case *RuleEvaluated:
		return decodeSlow[RuleEvaluated](body)
	case *EvaluationCompleted:
		return decodeSlow[EvaluationCompleted](body)
	}
	return nil, nil
}

// BenchmarkVerdictPayloads encodes and decodes the eight payloads of one
// stored verdict (about 9 KB), as the service does for every submission:
// Marshal when the events are built, Decode (a cache miss) when the store
// checks them on append. The encoding-json cases are the same work through
// encoding/json alone, for comparison.
func BenchmarkVerdictPayloads(b *testing.B) {
	evs := storedVerdict(b)
	reg := Catalogue()
	reg.decoded = nil // every Decode a miss
	values := make([]any, len(evs))
	size := 0
	for i := range evs {
		v, err := reg.Decode(&evs[i])
		if err != nil {
			b.Fatal(err)
		}
		values[i] = reflect.ValueOf(v).Elem().Interface()
		size += len(evs[i].Payload)
	}
	b.Run("Marshal", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, v := range values {
				if _, err := Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Marshal/encoding-json", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, v := range values {
				if _, err := marshalSlow(v); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Decode", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for i := range evs {
				if _, err := reg.Decode(&evs[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Decode/encoding-json", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for i := range evs {
				if _, err := referenceDecodeOf(reflect.New(reflect.TypeOf(values[i])).Interface(), evs[i].Payload); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
