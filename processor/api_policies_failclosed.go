package processor

import (
	"context"
	"fmt"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/validation/policy"
)

// requireFailClosedPolicy enforces Invariant 2 at publication time: a
// high-tier critical world (validation-core §1) accepts only a policy whose
// validation block is fail-closed — on_error and on_missing_metric both fail,
// which is also what they default to when the policy leaves them out
// (§6.4, §10.4, and the recommendation of §15.12 to check the policy as well
// as the world). Anything else is 422 E_POLICY_FAIL_CLOSED_REQUIRED naming
// the offending keys, before anything is appended.
//
// The world's settings are read from its own stream; a change of settings
// racing with the publication is not serialised with it (the invariant
// report shows the world's state either way, and evaluation forces
// fail-closed for such a world regardless, §6.7).
func (a *api) requireFailClosedPolicy(ctx context.Context, worldID string, p *policy.Policy) error {
	rec, err := a.worldSettings(ctx, worldID)
	if err != nil {
		return err
	}
	if !rec.highTierCritical() {
		return nil
	}
	modes := p.ValidationModes(false)
	var ps problems
	if modes.OnError != policy.ModeFail {
		ps.add("validation.on_error", "is %q; a high-tier critical world requires fail", modes.OnError)
	}
	if modes.OnMissingMetric != policy.ModeFail {
		ps.add("validation.on_missing_metric", "is %q; a high-tier critical world requires fail", modes.OnMissingMetric)
	}
	if len(ps) == 0 {
		return nil
	}
	return (&errcode.Error{
		Code: errcode.PolicyFailClosedRequired,
		Message: fmt.Sprintf("world %s is high-tier critical, so its policies must be fail-closed (Invariant 2): validation.on_error is %q and validation.on_missing_metric is %q; set both to fail",
			worldID, modes.OnError, modes.OnMissingMetric),
	}).
		WithDetail("world_id", worldID).
		WithDetail("on_error", modes.OnError).
		WithDetail("on_missing_metric", modes.OnMissingMetric).
		WithDetail("problems", []problem(ps))
}
