package processor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
	"github.com/worldval/worldval/projections"
	"github.com/worldval/worldval/validation/policy"
)

// Command types of the policy routes in worldval_commands_ingested_total.
const (
	commandPublishPolicy    = "PublishPolicy"
	commandSetDefaultPolicy = "SetDefaultPolicy"
)

// policyMediaTypes returns the Content-Types PUT /worlds/{world}/policies
// reads; the first is assumed when the request names none.
func policyMediaTypes() []string {
	return []string{"application/yaml", "application/json", "application/x-yaml", "text/yaml", "text/x-yaml"}
}

// publishResponse is the answer to a policy publication.
type publishResponse struct {
	WorldID        string            `json:"world_id"`
	Version        int               `json:"version"`
	DefaultVersion int               `json:"default_version"`
	RulesetHash    map[string]string `json:"ruleset_hash"`
	Warnings       []policy.Warning  `json:"warnings"`
	Links          map[string]string `json:"links"`
}

// defaultResponse is the answer to a change of default policy.
type defaultResponse struct {
	WorldID         string `json:"world_id"`
	DefaultVersion  int    `json:"default_version"`
	PreviousVersion int    `json:"previous_version"`
}

// publishPolicy answers PUT /worlds/{world}/policies: the body is a policy
// document, YAML or JSON as its Content-Type says. An invalid document is 422
// E_POLICY_INVALID whose details list every problem with its path and code. A
// valid one is published as the world's next version, in the normalized JSON
// form that [policy.Policy.MarshalJSON] gives (it parses back to the same
// profiles and ruleset hashes), with the ruleset hash of each profile; the
// answer is 201 with the version. The world's first version becomes its
// default. A world whose settings make it high-tier critical accepts only a
// fail-closed policy: anything else is 422 E_POLICY_FAIL_CLOSED_REQUIRED
// (see requireFailClosedPolicy).
//
// With an Idempotency-Key header a retry appends nothing and answers 200 with
// the version the key published; the same key with another document is 409
// E_IDEMPOTENCY_KEY_REUSED. Without one, every request publishes a version.
func (a *api) publishPolicy(w http.ResponseWriter, r *http.Request) (err error) {
	duplicate := false
	defer func() { a.countCommand(commandPublishPolicy, duplicate, err) }()

	world := r.PathValue("world")
	var ps problems
	checkID(&ps, "world_id", world)
	clientKey := checkKey(&ps, "", r.Header.Get("Idempotency-Key"))
	if err := ps.err("the request is invalid"); err != nil {
		return err
	}
	body, mediaType, err := readBody(w, r, a.maxBody, policyMediaTypes()...)
	if err != nil {
		return err
	}
	principal, _ := PrincipalFrom(r.Context())
	out, err := a.publishPolicyDoc(r.Context(), world, body, mediaType, clientKey, commandMeta{actor: principal})
	if err != nil {
		return err
	}
	res, p, cmd, version, defaultVersion := out.res, out.policy, out.cmd, out.version, out.defaultVersion
	duplicate = res.Duplicate
	code := http.StatusCreated
	if duplicate {
		code = http.StatusOK
	}
	a.models.waitFor(r.Context(), res.Position, a.readYourWrites, projections.PoliciesName)
	if wp, err := a.models.policies.World(r.Context(), world); err == nil {
		defaultVersion = wp.DefaultVersion
	}
	self := policyLink(world, version)
	w.Header().Set("Location", self)
	writeJSON(w, code, publishResponse{
		WorldID: world, Version: version, DefaultVersion: defaultVersion, RulesetHash: cmd.RulesetHash,
		Warnings: append([]policy.Warning{}, p.Warnings...),
		Links:    map[string]string{"self": self, "policies": "/worlds/" + url.PathEscape(world) + "/policies"},
	})
	return nil
}

// publishedVersion finds the version an earlier publication with the same
// idempotency key published, for answering a retry; a retry with another
// document is E_IDEMPOTENCY_KEY_REUSED.
func (a *api) publishedVersion(ctx context.Context, stream, key string, doc []byte) (int, error) {
	recs, err := a.repo.Store().ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return 0, fmt.Errorf("find the publication of a retried key: %w", err)
	}
	for i := range recs {
		if recs[i].IdempotencyKey != key || recs[i].Type != events.TypePolicyPublished {
			continue
		}
		pub, err := events.DecodeAs[events.PolicyPublished](a.reg, &recs[i].Event)
		if err != nil {
			return 0, fmt.Errorf("find the publication of a retried key: %w", err)
		}
		if !sameJSON(pub.Policy, doc) {
			return 0, errcode.New(errcode.IdempotencyKeyReused, "the Idempotency-Key already published version %d with a different document", pub.PolicyVersion).
				WithDetail("version", pub.PolicyVersion)
		}
		return pub.PolicyVersion, nil
	}
	return 0, fmt.Errorf("find the publication of a retried key: no PolicyPublished with key %q in %s", key, stream)
}

// sameJSON reports whether two JSON texts are equal after compaction.
func sameJSON(a, b []byte) bool {
	return bytes.Equal(compactJSON(a), compactJSON(b))
}

// rulesetHashes returns the ruleset hash of every profile of p that some
// stage selects (validation-core §9.5), as an evaluation that is not
// fail-closed records it; high-tier critical worlds force fail-closed modes,
// which can change the hash they record. A profile is found through the
// stages that map to it, then through its own name; with no profiles the map
// is empty.
func rulesetHashes(p *policy.Policy) map[string]string {
	out := make(map[string]string, len(p.Profiles))
	try := func(stage string) {
		if m := p.Materialize(stage, false); m.HasProfile && out[m.ProfileName] == "" {
			out[m.ProfileName] = m.RulesetHash()
		}
	}
	for _, sp := range p.DefaultProfileByStage {
		try(sp.Stage)
	}
	for _, pr := range p.Profiles {
		try(pr.Name)
	}
	try("")
	return out
}

// listPolicies answers GET /worlds/{world}/policies: the published versions
// ascending, without documents, and the default version (0 and no versions
// for a world without policies).
func (a *api) listPolicies(w http.ResponseWriter, r *http.Request) error {
	at, asOf, err := readAsOf(r)
	if err != nil {
		return err
	}
	world := r.PathValue("world")
	var wp projections.WorldPolicies
	if asOf {
		wp, err = a.models.asOf.Policies(r.Context(), at, world)
	} else {
		wp, err = a.models.policies.World(r.Context(), world)
	}
	if errors.Is(err, projections.ErrNotFound) {
		wp, err = projections.WorldPolicies{WorldID: world}, nil
	}
	if err != nil {
		return err
	}
	if wp.Versions == nil {
		wp.Versions = []projections.PolicyInfo{}
	}
	writeJSON(w, http.StatusOK, wp)
	return nil
}

// getPolicy answers GET /worlds/{world}/policies/{version}: one version with
// its document; 404 E_POLICY_VERSION_NOT_FOUND for a version the world does
// not have.
func (a *api) getPolicy(w http.ResponseWriter, r *http.Request) error {
	at, asOf, err := readAsOf(r)
	if err != nil {
		return err
	}
	world, raw := r.PathValue("world"), r.PathValue("version")
	version, err := strconv.Atoi(raw)
	if err != nil || version < 1 {
		return errcode.New(errcode.BadRequest, "policy version %q is not an integer from 1", raw).WithDetail("parameter", "version")
	}
	var pv projections.PolicyVersion
	if asOf {
		pv, err = a.models.asOf.Policy(r.Context(), at, world, version)
	} else {
		pv, err = a.models.policies.Version(r.Context(), world, version)
	}
	if errors.Is(err, projections.ErrNotFound) {
		return errcode.New(errcode.PolicyVersionNotFound, "world %s has no policy version %d", world, version).
			WithDetail("world_id", world).WithDetail("version", version)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pv)
	return nil
}

// setDefaultPolicy answers POST /worlds/{world}/policies/default with body
// {"version": N}: it makes version N the world's default and answers 200
// with the default and the previous one; 404 E_POLICY_VERSION_NOT_FOUND for a
// version the world does not have. Making the current default the default
// again appends nothing.
func (a *api) setDefaultPolicy(w http.ResponseWriter, r *http.Request) (err error) {
	duplicate := false
	defer func() { a.countCommand(commandSetDefaultPolicy, duplicate, err) }()

	world := r.PathValue("world")
	body, _, err := readBody(w, r, a.maxBody, "application/json")
	if err != nil {
		return err
	}
	principal, _ := PrincipalFrom(r.Context())
	out, err := a.setDefault(r.Context(), world, body, r.Header.Get("Idempotency-Key"), commandMeta{actor: principal})
	if err != nil {
		return err
	}
	res, version, previous := out.res, out.version, out.previous
	duplicate = res.Duplicate
	a.models.waitFor(r.Context(), res.Position, a.readYourWrites, projections.PoliciesName)
	writeJSON(w, http.StatusOK, defaultResponse{WorldID: world, DefaultVersion: version, PreviousVersion: previous})
	return nil
}
