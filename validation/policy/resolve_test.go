package policy

import (
	"errors"
	"testing"
)

func TestResolve(t *testing.T) {
	inline := mustParse(t, "policy_version: 12")
	def := mustParse(t, "{}")
	r, err := Resolve(inline, def, 3)
	if err != nil || r.Policy != inline || r.Version != "12" || !r.Inline {
		t.Errorf("inline %+v %v", r, err)
	}
	r, err = Resolve(nil, def, 3)
	if err != nil || r.Policy != def || r.Version != "3" || r.Inline {
		t.Errorf("default %+v %v", r, err)
	}
	r, err = Resolve(nil, def, 0)
	if err != nil || r.Version != "" {
		t.Errorf("default without version %+v %v", r, err)
	}
	r, err = Resolve(mustParse(t, "{}"), nil, 5)
	if err != nil || r.Version != "" {
		t.Errorf("inline without version %+v", r)
	}
	_, err = Resolve(nil, nil, 4)
	if !errors.Is(err, ErrNoPolicy) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("no policy: %v", err)
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.Code() != CodeInvalid || err.Error() != "invalid policy: world has no policy" {
		t.Errorf("no policy error %q", err)
	}
}

func TestHighTierCritical(t *testing.T) {
	cases := []struct {
		rp    RiskProfile
		world bool
		want  bool
	}{
		{RiskProfile{Tier: "HIGH", ClientCritical: true}, false, true},
		{RiskProfile{Tier: "high"}, true, true},
		{RiskProfile{Tier: "high"}, false, false},
		{RiskProfile{Tier: "medium", ClientCritical: true}, true, false},
		{RiskProfile{}, true, false},
	}
	for _, c := range cases {
		if got := c.rp.HighTierCritical(c.world); got != c.want {
			t.Errorf("%+v/%v: got %v", c.rp, c.world, got)
		}
	}
}
