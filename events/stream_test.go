package events_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/worldval/worldval/events"
)

func TestStreamRoundTrip(t *testing.T) {
	cases := []struct {
		category string
		ids      []string
		want     string
	}{
		{events.CategoryEvaluationRun, []string{"w1", "s/1", "run-9"}, "evaluation-run/w1/s%2F1/run-9"},
		{events.CategoryWorldPolicy, []string{"w1"}, "world-policy/w1"},
		{events.CategoryRiskSnapshot, []string{"a b%c"}, "risk-snapshot/a%20b%25c"},
		{events.CategoryCohort, []string{"w", "é?#"}, "cohort/w/%C3%A9%3F%23"},
		{events.CategoryCampaign, []string{"w", "a%2Fb"}, "campaign/w/a%252Fb"},
		{"solo", nil, "solo"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			got, err := events.Stream(tc.category, tc.ids...)
			if err != nil || got != tc.want {
				t.Fatalf("Stream(%q, %q) = %q, %v; want %q", tc.category, tc.ids, got, err, tc.want)
			}
			cat, ids, err := events.ParseStream(got)
			if err != nil {
				t.Fatalf("ParseStream(%q): %v", got, err)
			}
			if cat != tc.category || !slices.Equal(ids, tc.ids) {
				t.Fatalf("ParseStream(%q) = %q %q, want %q %q", got, cat, ids, tc.category, tc.ids)
			}
		})
	}
}

func TestStreamHelpers(t *testing.T) {
	run, err := events.RunStream("w1", "s/1", "run-9")
	if err != nil || run != "evaluation-run/w1/s%2F1/run-9" {
		t.Fatalf("RunStream = %q, %v", run, err)
	}
	if s, err := events.PolicyStream("w/1"); err != nil || s != "world-policy/w%2F1" {
		t.Fatalf("PolicyStream = %q, %v", s, err)
	}
	if s, err := events.RiskSnapshotStream("w1"); err != nil || s != "risk-snapshot/w1" {
		t.Fatalf("RiskSnapshotStream = %q, %v", s, err)
	}
}

func TestStreamRefusesBadComponents(t *testing.T) {
	cases := []struct {
		name     string
		category string
		ids      []string
	}{
		{"empty category", "", []string{"w"}},
		{"empty component", events.CategoryEvaluationRun, []string{"w", "", "r"}},
		{"non-UTF-8 component", events.CategoryEvaluationRun, []string{"w", "s\xff", "r"}},
		{"non-UTF-8 category", "cat\xc3", nil},
		{"too long", events.CategoryWorldPolicy, []string{strings.Repeat("/", events.MaxStreamLength)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := events.Stream(tc.category, tc.ids...); !errors.Is(err, events.ErrInvalidStream) {
				t.Fatalf("Stream = %q, %v; want ErrInvalidStream", s, err)
			}
		})
	}
}

func TestParseStreamRefusesBadNames(t *testing.T) {
	for _, name := range []string{
		"",
		"evaluation-run//s/r",      // empty component
		"evaluation-run/w/",        // empty last component
		"/w",                       // empty category
		"evaluation-run/w/%FF/r",   // decodes to invalid UTF-8
		"evaluation-run/w/\xff/r",  // raw invalid UTF-8
		"evaluation-run/w/s%2f1/r", // lower-case escape: not canonical
		"evaluation-run/w/%61/r",   // needless escape: not canonical
		"evaluation-run/w/a b/r",   // unescaped space: not canonical
		"evaluation-run/w/%zz/r",   // malformed escape
		"evaluation-run/w/%2/r",    // truncated escape
		"evaluation-run/w/a\x01/r", // control character
		"world-policy/" + strings.Repeat("w", events.MaxStreamLength), // too long
	} {
		if cat, ids, err := events.ParseStream(name); !errors.Is(err, events.ErrInvalidStream) {
			t.Errorf("ParseStream(%q) = %q %q, %v; want ErrInvalidStream", name, cat, ids, err)
		}
	}
}

func TestValidateStreamName(t *testing.T) {
	if err := events.ValidateStreamName("evaluation-run/w1/s%2F1/run-9"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "a\x7fb", "a\nb", "\xff", strings.Repeat("a", events.MaxStreamLength+1)} {
		if err := events.ValidateStreamName(name); !errors.Is(err, events.ErrInvalidStream) {
			t.Errorf("ValidateStreamName(%q) = %v; want ErrInvalidStream", name, err)
		}
	}
}
