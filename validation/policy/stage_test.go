package policy

import "testing"

func TestKnownStage(t *testing.T) {
	for _, s := range Stages() {
		if !KnownStage(s) {
			t.Errorf("KnownStage(%q) = false", s)
		}
	}
	for _, s := range []string{" Paper ", "PAPER-ONLY", "paper-ok-live-candidate", "Backtest"} {
		if !KnownStage(s) {
			t.Errorf("KnownStage(%q) = false, want true after normalization", s)
		}
	}
	for _, s := range []string{"", "papr", "production", "live candidate", "back test"} {
		if KnownStage(s) {
			t.Errorf("KnownStage(%q) = true", s)
		}
	}
}
