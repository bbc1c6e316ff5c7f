package processor

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/aggregates/evaluationrun"
	"github.com/worldval/worldval/aggregates/worldpolicy"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/eventstore"
	"github.com/worldval/worldval/validation/policy"
)

// commandMeta is who sent a command and in which flow, whatever the
// transport: the HTTP principal, or "kafka:" and the CloudEvents source.
type commandMeta struct {
	// actor becomes the actor (and submitted_by) of the appended events.
	actor string
	// correlationID groups the command's events with the flow that caused
	// it; "" takes the command's own default.
	correlationID string
	// causationID is the id of the message that carried the command, ""
	// when it has none (HTTP).
	causationID string
}

// submitOutcome is what a submission command appended, or found.
type submitOutcome struct {
	// req is the submission as recorded.
	req events.EvaluationRunSubmitted
	// res is where the append left the run's stream; res.Duplicate means
	// nothing was appended.
	res eventstore.AppendResult
	// before is the run's status before the command.
	before evaluationrun.Status
}

// submitRun is the submission command as both ingresses run it: body is the
// JSON body of POST /worlds/{world}/evaluations and key the idempotency key
// (the Idempotency-Key header over HTTP, the CloudEvents id over Kafka). It
// validates the body strictly (see [parseSubmission]), names the run (see
// [api.generateRunID]), records the strategy's latest model card when the
// body names none, and appends EvaluationRunSubmitted through the
// evaluation-run aggregate. The same body and key give the same command, and
// so the same event id, over either transport.
func (a *api) submitRun(ctx context.Context, world string, body []byte, key string, meta commandMeta) (submitOutcome, error) {
	sub, err := parseSubmission(world, body, key)
	if err != nil {
		return submitOutcome{}, err
	}
	req := sub.req
	if n := len(req.Metrics) + len(req.Params); n > events.MaxPayloadSize {
		return submitOutcome{}, fmt.Errorf("submission with %d bytes of metrics and parameters: %w", n, events.ErrPayloadTooLarge)
	}
	if req.RunID == "" {
		req.RunID = a.generateRunID(req.WorldID, req.StrategyID, sub.key)
	}
	stream, err := events.RunStream(req.WorldID, req.StrategyID, req.RunID)
	if err == nil {
		err = events.ValidateStreamName(stream)
	}
	if err != nil {
		return submitOutcome{}, errcode.Wrap(errcode.Validation, err, "world_id, strategy_id and run_id together are too long for a run's stream name").
			WithDetail("problems", []problem{{Path: "run_id", Message: "with world_id and strategy_id, too long for one stream name"}})
	}
	req.SubmittedBy = meta.actor
	eventKey, err := submissionKey(stream, sub.key, req)
	if err != nil {
		return submitOutcome{}, err
	}
	correlation := meta.correlationID
	if correlation == "" {
		correlation = "evaluation_run:" + req.WorldID + ":" + req.StrategyID + ":" + req.RunID
	}
	cmd := evaluationrun.Submit{
		Meta: events.Meta{
			IdempotencyKey: eventKey,
			OccurredAt:     a.now().UTC(),
			Actor:          meta.actor,
			CorrelationID:  correlation,
			CausationID:    meta.causationID,
		},
		Request: req,
	}
	latestCard := ""
	if req.ModelCardVersion == "" {
		if latestCard, err = a.latestModelCardVersion(ctx, req.StrategyID); err != nil {
			return submitOutcome{}, err
		}
	}
	out := submitOutcome{req: req}
	// Most submissions name a new run: decide on the empty run and append
	// on condition that the stream does not exist, which spares reading it.
	// A stream that exists (a retry, a conflict) or events already stored
	// take the general path, which reads the run and decides on it.
	fresh := &evaluationrun.Run{}
	evs, err := fresh.Submit(a.reg, withModelCard(cmd, fresh, latestCard))
	if err != nil {
		return submitOutcome{}, err
	}
	out.res, err = a.repo.Store().Append(ctx, stream, eventstore.NoStream{}, evs...)
	if err == nil && !out.res.Duplicate {
		return out, nil
	}
	if err != nil && !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		return submitOutcome{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	out.res, err = aggregates.Update(ctx, a.repo, stream, func(run *evaluationrun.Run) ([]events.Event, error) {
		out.before = run.Status
		return run.Submit(a.reg, withModelCard(cmd, run, latestCard))
	})
	if err != nil {
		return submitOutcome{}, err
	}
	return out, nil
}

// publishOutcome is what a policy publication appended, or found.
type publishOutcome struct {
	// policy is the parsed document.
	policy *policy.Policy
	// cmd is the publication command as decided.
	cmd worldpolicy.Publish
	// version is the version the command published (or, for a retry, had
	// published); defaultVersion is the world's default as decided.
	version, defaultVersion int
	// res is where the append left the world's policy stream.
	res eventstore.AppendResult
}

// publishPolicyDoc is the publication command as both ingresses run it: doc is
// the policy document (YAML or JSON, as mediaType says), key the idempotency
// key ("" publishes a new version on every call). It parses the document
// (every problem is an E_POLICY_INVALID), enforces Invariant 2 for
// high-tier critical worlds (see requireFailClosedPolicy), stores it in its normalized JSON
// form with the ruleset hash of each profile, and appends PolicyPublished
// through the world-policy aggregate. A retried key appends nothing and
// reports the version it published; the same key with another document is
// E_IDEMPOTENCY_KEY_REUSED.
func (a *api) publishPolicyDoc(ctx context.Context, world string, doc []byte, mediaType, key string, meta commandMeta) (publishOutcome, error) {
	var ps problems
	checkID(&ps, "world_id", world)
	key = checkKey(&ps, "", key)
	if err := ps.err("the request is invalid"); err != nil {
		return publishOutcome{}, err
	}
	if mediaType == "application/json" {
		if err := json.Unmarshal(doc, new(json.RawMessage)); err != nil {
			return publishOutcome{}, &policy.Error{Problems: []policy.Problem{{Code: policy.CodeInvalid, Message: "the body is not valid JSON (Content-Type is application/json): " + err.Error()}}}
		}
	}
	p, err := policy.Parse(doc)
	if err != nil {
		return publishOutcome{}, err
	}
	if err := a.requireFailClosedPolicy(ctx, world, p); err != nil {
		return publishOutcome{}, err
	}
	normalized, err := p.MarshalJSON()
	if err != nil {
		return publishOutcome{}, fmt.Errorf("publish policy: render the parsed policy: %w", err)
	}
	stream, err := events.PolicyStream(world)
	if err != nil {
		return publishOutcome{}, errcode.Wrap(errcode.Validation, err, "world_id cannot name a policy stream")
	}
	if key == "" {
		key = "gen:" + rand.Text()
	}
	out := publishOutcome{policy: p, cmd: worldpolicy.Publish{
		Meta: events.Meta{
			IdempotencyKey: commandPublishPolicy + ":" + stream + ":" + key, OccurredAt: a.now().UTC(),
			Actor: meta.actor, CorrelationID: meta.correlationID, CausationID: meta.causationID,
		},
		WorldID:     world,
		Policy:      normalized,
		RulesetHash: rulesetHashes(p),
		PublishedBy: meta.actor,
	}}
	out.res, err = aggregates.Update(ctx, a.repo, stream, func(pol *worldpolicy.Policy) ([]events.Event, error) {
		out.version, out.defaultVersion = pol.Latest()+1, pol.DefaultVersion()
		if out.defaultVersion == 0 {
			out.defaultVersion = out.version
		}
		return pol.Publish(a.reg, out.cmd)
	})
	if err != nil {
		return publishOutcome{}, err
	}
	if out.res.Duplicate {
		if out.version, err = a.publishedVersion(ctx, stream, out.cmd.Meta.IdempotencyKey, normalized); err != nil {
			return publishOutcome{}, err
		}
	}
	return out, nil
}

// defaultOutcome is what a change of default policy appended, or found.
type defaultOutcome struct {
	// version is the new default; previous the default before.
	version, previous int
	// res is where the append left the world's policy stream.
	res eventstore.AppendResult
}

// setDefault is the change-of-default command as both ingresses run it:
// body is {"version": N}, key the idempotency key ("" for none). It makes
// version N the world's default; a world without version N is
// E_POLICY_VERSION_NOT_FOUND, and making the current default the default
// again appends nothing.
func (a *api) setDefault(ctx context.Context, world string, body []byte, key string, meta commandMeta) (defaultOutcome, error) {
	members, err := decodeObject(body)
	if err != nil {
		return defaultOutcome{}, err
	}
	var ps problems
	checkID(&ps, "world_id", world)
	version := 0
	for _, m := range members {
		switch m.name {
		case "version":
			if v, ok := intValue(&ps, m.name, m.value); ok {
				if v < 1 {
					ps.add(m.name, "must be a policy version (an integer from 1), got %d", v)
				}
				version = v
			}
		default:
			ps.add(m.name, "unknown field")
		}
	}
	if !hasMember(members, "version") {
		ps.add("version", "is required")
	}
	key = checkKey(&ps, "", key)
	if err := ps.err("the request is invalid"); err != nil {
		return defaultOutcome{}, err
	}
	stream, err := events.PolicyStream(world)
	if err != nil {
		return defaultOutcome{}, errcode.Wrap(errcode.Validation, err, "world_id cannot name a policy stream")
	}
	if key == "" {
		key = "gen:" + rand.Text()
	}
	cmd := worldpolicy.SetDefault{
		Meta: events.Meta{
			IdempotencyKey: commandSetDefaultPolicy + ":" + stream + ":" + key, OccurredAt: a.now().UTC(),
			Actor: meta.actor, CorrelationID: meta.correlationID, CausationID: meta.causationID,
		},
		Version: version,
	}
	out := defaultOutcome{version: version}
	out.res, err = aggregates.Update(ctx, a.repo, stream, func(pol *worldpolicy.Policy) ([]events.Event, error) {
		out.previous = pol.DefaultVersion()
		return pol.SetDefault(a.reg, cmd)
	})
	if err != nil {
		if errcode.Has(err, errcode.PolicyVersionNotFound) {
			return defaultOutcome{}, errcode.New(errcode.PolicyVersionNotFound, "world %s has no policy version %d", world, version).
				WithDetail("world_id", world).WithDetail("version", version)
		}
		return defaultOutcome{}, err
	}
	return out, nil
}

// annotate runs one annotation command (an override, an ex-post failure)
// against the run (world, strategy, run), as both ingresses do. The
// command's idempotency key is scoped to the run's stream: key when given (a
// retry then appends nothing), else a fresh random one. An unknown run is
// E_RUN_NOT_FOUND; whatever decide refuses keeps its code, and nothing is
// appended.
func (a *api) annotate(ctx context.Context, world, strategy, run, command, key string, meta commandMeta, decide annotationDecider) (eventstore.AppendResult, error) {
	stream, err := events.RunStream(world, strategy, run)
	if err != nil {
		return eventstore.AppendResult{}, runNotFound(world, strategy, run) // no run can have such a stream
	}
	if key == "" {
		key = "gen:" + rand.Text()
	}
	correlation := meta.correlationID
	if correlation == "" {
		correlation = "evaluation_run:" + world + ":" + strategy + ":" + run
	}
	em := events.Meta{
		IdempotencyKey: command + ":" + stream + ":" + key,
		OccurredAt:     a.now().UTC(),
		Actor:          meta.actor,
		CorrelationID:  correlation,
		CausationID:    meta.causationID,
	}
	res, err := aggregates.Update(ctx, a.repo, stream, func(st *evaluationrun.Run) ([]events.Event, error) {
		return decide(st, em)
	})
	if errcode.Has(err, errcode.RunNotFound) {
		return eventstore.AppendResult{}, runNotFound(world, strategy, run)
	}
	return res, err
}

// recordOverrideOf is the override command as both ingresses run it: body
// is the body of POST …/runs/{run}/override (see parseOverride), key the
// idempotency key. Approvals are recorded with the re-review due date of the
// world's tier.
func (a *api) recordOverrideOf(ctx context.Context, world, strategy, run string, body []byte, key string, meta commandMeta) (eventstore.AppendResult, error) {
	o, err := parseOverride(body)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	var ps problems
	key = checkKey(&ps, "", key)
	if err := ps.err("the request is invalid"); err != nil {
		return eventstore.AppendResult{}, err
	}
	settings, err := a.worldSettings(ctx, world)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	critical := settings.highTierCritical()
	return a.annotate(ctx, world, strategy, run, commandRecordOverride, key, meta, func(r *evaluationrun.Run, em events.Meta) ([]events.Event, error) {
		return r.RecordOverride(a.reg, evaluationrun.RecordOverride{
			Meta: em, Status: o.status, Reason: o.reason, Actor: o.actor, Timestamp: o.timestamp, HighTierCritical: critical,
		})
	})
}
