package cloudevents_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/events/cloudevents"
)

func TestParseAcceptsACommand(t *testing.T) {
	ev, err := cloudevents.Parse([]byte(`{"specversion":"1.0","id":"k-1","source":"runner-7","type":"submit_evaluation_run",
		"time":"2026-01-02T03:04:05.123456+00:00","datacontenttype":"application/json","correlationid":"flow-9",
		"someextension":"ignored","data":{"world_id":"w1","strategy_id":"s1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "k-1" || ev.Source != "runner-7" || ev.Type != "submit_evaluation_run" || ev.Correlation() != "flow-9" {
		t.Fatalf("parsed %+v", ev)
	}
	if at, ok := ev.ParsedTime(); !ok || !at.Equal(time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)) {
		t.Fatalf("time %v %v", at, ok)
	}
}

func TestParseRefuses(t *testing.T) {
	valid := `"specversion":"1.0","id":"k","source":"s","type":"t"`
	for name, tc := range map[string]struct{ value, want string }{
		"not JSON":            {`{"specversion":`, "not a JSON object"},
		"array":               {`[1]`, "not a JSON object"},
		"trailing data":       {`{` + valid + `,"data":{}} {}`, "data after"},
		"spec version":        {`{"specversion":"0.3","id":"k","source":"s","type":"t","data":{}}`, "specversion"},
		"no id":               {`{"specversion":"1.0","source":"s","type":"t","data":{}}`, "id is missing"},
		"control in id":       {`{"specversion":"1.0","id":"a\u0001","source":"s","type":"t","data":{}}`, "control"},
		"long id":             {`{"specversion":"1.0","id":"` + strings.Repeat("k", 257) + `","source":"s","type":"t","data":{}}`, "at most 256"},
		"no source":           {`{"specversion":"1.0","id":"k","type":"t","data":{}}`, "source is missing"},
		"no type":             {`{"specversion":"1.0","id":"k","source":"s","data":{}}`, "type is missing"},
		"no data":             {`{` + valid + `}`, "data must be a JSON object"},
		"null data":           {`{` + valid + `,"data":null}`, "data must be a JSON object"},
		"array data":          {`{` + valid + `,"data":[1]}`, "data must be a JSON object"},
		"xml":                 {`{` + valid + `,"datacontenttype":"application/xml","data":{}}`, "datacontenttype"},
		"bad time":            {`{` + valid + `,"time":"yesterday","data":{}}`, "RFC 3339"},
		"two correlation ids": {`{` + valid + `,"correlation_id":"a","correlationid":"b","data":{}}`, "differ"},
	} {
		_, err := cloudevents.Parse([]byte(tc.value))
		if !errors.Is(err, cloudevents.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrInvalid mentioning %q", name, err, tc.want)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	ev := cloudevents.Event{ID: "0193", Source: "worldval", Type: cloudevents.TypeEvaluationRunCreated,
		Time: cloudevents.FormatTime(time.Date(2026, 5, 6, 7, 8, 9, 1000, time.FixedZone("x", 3600))), Data: []byte(`{"world_id":"w"}`)}
	ev.SetCorrelation("evaluation_run:w:s:r")
	b, err := cloudevents.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"specversion":"1.0","id":"0193","source":"worldval","type":"evaluation_run_created","time":"2026-05-06T06:08:09.000001+00:00","datacontenttype":"application/json","correlation_id":"evaluation_run:w:s:r","correlationid":"evaluation_run:w:s:r","data":{"world_id":"w"}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	back, err := cloudevents.Parse(b)
	if err != nil || back.ID != ev.ID || string(back.Data) != string(ev.Data) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"specversion":"1.0","id":"k","source":"s","type":"t","data":{"a":1}}`))
	f.Add([]byte(`{"specversion":"1.0"}`))
	f.Fuzz(func(t *testing.T, value []byte) {
		ev, err := cloudevents.Parse(value)
		if err != nil {
			if !errors.Is(err, cloudevents.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		b, err := cloudevents.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cloudevents.Parse(b); err != nil {
			t.Fatalf("a parsed event does not parse again: %v\n%s", err, b)
		}
	})
}
