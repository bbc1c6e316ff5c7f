package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// WriteOption adjusts a write: a policy publication, a change of the default
// policy, a model card publication.
type WriteOption func(*request)

// IdempotencyKey makes a write safe to retry: a retry with the same
// key records nothing and answers as the first request did (and the client
// itself retries it while the service answers 503). The same key with a
// different policy document is E_IDEMPOTENCY_KEY_REUSED. A model card
// publication needs no key: see [Client.PublishModelCard].
func IdempotencyKey(key string) WriteOption {
	return func(r *request) {
		r.idempotencyKey = key
		r.retry = key != ""
	}
}

// PolicyWarning is a remark on a published policy that does not make it
// invalid.
type PolicyWarning struct {
	// Path locates the remark in the document.
	Path string `json:"path"`
	// Message describes it.
	Message string `json:"message"`
}

// PublishedPolicy is the answer to a policy publication.
type PublishedPolicy struct {
	// WorldID is the world the policy was published for.
	WorldID string `json:"world_id"`
	// Version is the version the document was published as.
	Version int `json:"version"`
	// DefaultVersion is the world's default version after the
	// publication (the first version becomes the default).
	DefaultVersion int `json:"default_version"`
	// RulesetHash maps each validation profile to its ruleset hash.
	RulesetHash map[string]string `json:"ruleset_hash"`
	// Warnings are remarks on the document.
	Warnings []PolicyWarning `json:"warnings"`
	// Links are the paths of the version and of the world's policies.
	Links map[string]string `json:"links"`
	// Created is true when this request published the version (201),
	// false for a retry with the same idempotency key (200).
	Created bool `json:"-"`
}

// PolicyInfo describes one published policy version.
type PolicyInfo struct {
	// Version is the per-world version number, from 1.
	Version int `json:"version"`
	// Checksum is the SHA-256 of the canonical policy document.
	Checksum string `json:"checksum"`
	// RulesetHash maps each validation profile to its ruleset hash.
	RulesetHash map[string]string `json:"ruleset_hash,omitempty"`
	// PublishedBy is the publishing principal.
	PublishedBy string `json:"published_by,omitempty"`
	// PublishedAt is when the version was published (second precision).
	PublishedAt time.Time `json:"published_at"`
	// Default is true for the world's default version.
	Default bool `json:"default"`
}

// PolicyVersion is one published policy version with its document.
type PolicyVersion struct {
	// WorldID is the world the policy belongs to.
	WorldID string `json:"world_id"`
	// PolicyInfo describes the version.
	PolicyInfo
	// Policy is the document as published, in the service's normalized
	// JSON form.
	Policy json.RawMessage `json:"policy"`
}

// WorldPolicies lists a world's policy versions.
type WorldPolicies struct {
	// WorldID is the world listed.
	WorldID string `json:"world_id"`
	// DefaultVersion is the default version, 0 when the world has none.
	DefaultVersion int `json:"default_version"`
	// Versions are in ascending order, without their documents.
	Versions []PolicyInfo `json:"versions"`
}

// DefaultPolicy is the answer to a change of a world's default policy.
type DefaultPolicy struct {
	// WorldID is the world whose default changed.
	WorldID string `json:"world_id"`
	// DefaultVersion is the new default, PreviousVersion the one before.
	DefaultVersion  int `json:"default_version"`
	PreviousVersion int `json:"previous_version"` // See DefaultVersion.
}

// PublishPolicy publishes document, a policy in YAML or JSON, as world's
// next policy version. An invalid document is an [*APIError] with code
// [CodePolicyInvalid] whose [APIError.Problems] name every offending path.
// Without an [IdempotencyKey] every call publishes a new version.
func (c *Client) PublishPolicy(ctx context.Context, world string, document []byte, opts ...WriteOption) (*PublishedPolicy, error) {
	req := request{method: http.MethodPut, path: worldPath(world, "policies"), body: document, contentType: "application/yaml"}
	if t := bytes.TrimSpace(document); len(t) > 0 && t[0] == '{' && json.Valid(t) {
		req.contentType = "application/json"
	}
	for _, o := range opts {
		o(&req)
	}
	var p PublishedPolicy
	status, err := c.do(ctx, req, &p)
	if err != nil {
		return nil, fmt.Errorf("publish a policy for %s: %w", world, err)
	}
	p.Created = status == http.StatusCreated
	return &p, nil
}

// Policies lists world's policy versions and its default; a world without
// policies has none and default version 0.
func (c *Client) Policies(ctx context.Context, world string, opts ...ReadOption) (*WorldPolicies, error) {
	var p WorldPolicies
	if err := c.get(ctx, worldPath(world, "policies"), readQuery(nil, opts), &p); err != nil {
		return nil, fmt.Errorf("policies of %s: %w", world, err)
	}
	return &p, nil
}

// Policy returns one policy version of world with its document; a version
// the world does not have is [CodePolicyVersionNotFound].
func (c *Client) Policy(ctx context.Context, world string, version int, opts ...ReadOption) (*PolicyVersion, error) {
	var p PolicyVersion
	if err := c.get(ctx, worldPath(world, "policies", strconv.Itoa(version)), readQuery(nil, opts), &p); err != nil {
		return nil, fmt.Errorf("policy %d of %s: %w", version, world, err)
	}
	return &p, nil
}

// SetDefaultPolicy makes version the policy runs of world are evaluated
// under when they name none.
func (c *Client) SetDefaultPolicy(ctx context.Context, world string, version int, opts ...WriteOption) (*DefaultPolicy, error) {
	body, err := json.Marshal(map[string]int{"version": version})
	if err != nil {
		return nil, fmt.Errorf("set the default policy of %s: %w", world, err)
	}
	req := request{method: http.MethodPost, path: worldPath(world, "policies", "default"), body: body, contentType: "application/json"}
	for _, o := range opts {
		o(&req)
	}
	var d DefaultPolicy
	if _, err := c.do(ctx, req, &d); err != nil {
		return nil, fmt.Errorf("set the default policy of %s: %w", world, err)
	}
	return &d, nil
}
