package events

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Stream categories: the first component of every stream name.
const (
	CategoryEvaluationRun  = "evaluation-run"
	CategoryWorldPolicy    = "world-policy"
	CategoryRiskSnapshot   = "risk-snapshot"
	CategoryCohort         = "cohort"
	CategoryCampaign       = "campaign"
	CategoryLiveMonitoring = "live-monitoring"
	CategoryExitSignal     = "exit-signal"
)

// MaxStreamLength is the longest stream name, in bytes, a store accepts.
const MaxStreamLength = 1024

// Stream joins a category and its identifying components into a stream name,
// percent-encoding each component so that a "/" inside an id cannot be read as
// a separator: Stream("evaluation-run", "w1", "s/1", "run-9") is
// "evaluation-run/w1/s%2F1/run-9". It fails when a component is empty or not
// valid UTF-8.
func Stream(category string, ids ...string) (string, error) {
	if err := checkComponent("category", category); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(url.PathEscape(category))
	for i, id := range ids {
		if err := checkComponent(fmt.Sprintf("component %d", i+1), id); err != nil {
			return "", fmt.Errorf("stream %s: %w", category, err)
		}
		b.WriteByte('/')
		b.WriteString(url.PathEscape(id))
	}
	s := b.String()
	if len(s) > MaxStreamLength {
		return "", fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidStream, len(s), MaxStreamLength)
	}
	return s, nil
}

// ParseStream splits a stream name into its category and decoded components.
// It is the inverse of [Stream]: it accepts exactly the names Stream produces,
// so every accepted name satisfies Stream(category, ids...) == name. A name
// with an empty component, a component that decodes to invalid UTF-8, or a
// non-canonical escape (such as "%2f" or "%61" where Stream writes "%2F" and
// "a") is refused, because it would be a second store stream for the same
// identity.
func ParseStream(name string) (category string, ids []string, err error) {
	if err := ValidateStreamName(name); err != nil {
		return "", nil, err
	}
	parts := strings.Split(name, "/")
	out := make([]string, len(parts))
	for i, p := range parts {
		if out[i], err = url.PathUnescape(p); err != nil {
			return "", nil, fmt.Errorf("%w: %q: component %d: %v", ErrInvalidStream, name, i, err)
		}
		if err := checkComponent(fmt.Sprintf("component %d", i), out[i]); err != nil {
			return "", nil, fmt.Errorf("stream %q: %w", name, err)
		}
		if url.PathEscape(out[i]) != p {
			return "", nil, fmt.Errorf("%w: %q: component %d is not canonically escaped (want %q)", ErrInvalidStream, name, i, url.PathEscape(out[i]))
		}
	}
	return out[0], out[1:], nil
}

// ValidateStreamName checks what every store requires of a stream name: not
// empty, valid UTF-8, no control characters, at most [MaxStreamLength] bytes.
func ValidateStreamName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidStream)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidStream, name)
	case len(name) > MaxStreamLength:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidStream, len(name), MaxStreamLength)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q contains control character %U", ErrInvalidStream, name, r)
		}
	}
	return nil
}

func checkComponent(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: %s is empty", ErrInvalidStream, what)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s %q is not valid UTF-8", ErrInvalidStream, what, s)
	}
	return nil
}

// RunStream names the stream of one evaluation run.
func RunStream(world, strategy, run string) (string, error) {
	return Stream(CategoryEvaluationRun, world, strategy, run)
}

// PolicyStream names the stream of a world's policy versions.
func PolicyStream(world string) (string, error) {
	return Stream(CategoryWorldPolicy, world)
}

// RiskSnapshotStream names a world's risk snapshot ledger.
func RiskSnapshotStream(world string) (string, error) {
	return Stream(CategoryRiskSnapshot, world)
}

// CohortStream names the stream of a world's cohort evaluations in a stage.
func CohortStream(world, stage string) (string, error) {
	return Stream(CategoryCohort, world, stage)
}

// CampaignStream names the stream of a campaign's cohort evaluations.
func CampaignStream(world, campaign string) (string, error) {
	return Stream(CategoryCampaign, world, campaign)
}

// LiveMonitoringStream names a world's live-monitoring stream.
func LiveMonitoringStream(world string) (string, error) {
	return Stream(CategoryLiveMonitoring, world)
}

// ExitSignalStream names a world's exit-signal stream.
func ExitSignalStream(world string) (string, error) {
	return Stream(CategoryExitSignal, world)
}
