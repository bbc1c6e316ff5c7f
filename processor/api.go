package processor

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/worldval/worldval/aggregates"
	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events"
)

// Defaults of the HTTP API.
const (
	// DefaultMaxBodyBytes caps a request body (8 MiB); a larger one is
	// answered 413 E_PAYLOAD_TOO_LARGE without being read.
	DefaultMaxBodyBytes = 8 << 20
	// defaultReadYourWrites bounds how long a write waits for the read
	// model to show what it appended, so that the client's next GET finds it.
	defaultReadYourWrites = time.Second
)

// api serves worldval's HTTP API: the evaluation, run and policy resources.
// Writes decide through the aggregates and append to the event store; reads
// answer from the read models, or from the as-of reader with ?as_of=. Build it
// with [newAPI] and mount [api.routes] on a mux with [api.register].
type api struct {
	repo    *aggregates.Repository
	reg     *events.Registry
	models  *readModels
	auth    *Authenticator
	metrics *Metrics
	log     *slog.Logger
	// now is the server clock: occurred_at of appended events and
	// generated run ids. Domain code never reads it; the API stamps
	// commands with it.
	now    func() time.Time
	runIDs *runIDClock
	// maxBody caps request bodies, in bytes.
	maxBody int64
	// readYourWrites bounds the wait for the read model after a write.
	readYourWrites time.Duration
	// hub is the risk signal hub behind the /risk-hub routes.
	hub *riskHub
}

// newAPI returns the API over its dependencies, refusing nil ones except
// now, which nil makes [time.Now].
func newAPI(repo *aggregates.Repository, models *readModels, auth *Authenticator, metrics *Metrics, log *slog.Logger, now func() time.Time) (*api, error) {
	switch {
	case repo == nil:
		return nil, errors.New("api: nil repository")
	case models == nil:
		return nil, errors.New("api: nil read models")
	case auth == nil:
		return nil, errors.New("api: nil authenticator")
	case metrics == nil:
		return nil, errors.New("api: nil metrics")
	case log == nil:
		return nil, errors.New("api: nil logger")
	}
	if now == nil {
		now = time.Now
	}
	return &api{
		repo: repo, reg: repo.Registry(), models: models, auth: auth, metrics: metrics, log: log,
		now: now, runIDs: &runIDClock{now: now}, maxBody: DefaultMaxBodyBytes, readYourWrites: defaultReadYourWrites,
	}, nil
}

// route is one registered pattern: a method and a path with {wildcards},
// the scope a caller's token needs ("" for the open probes), and whether it
// waits for the read models to catch up.
type route struct {
	pattern string
	scope   Scope
	// readModels marks routes that answer 503 until the read models have
	// caught up with the store.
	readModels bool
	handler    http.Handler
}

// routes lists every route the service serves. It is the single list the
// mux is built from and the OpenAPI document is checked against.
func (a *api) routes(ready map[string]ReadinessCheck) []route {
	return append([]route{
		{pattern: "GET /healthz", handler: healthHandler()},
		{pattern: "GET /readyz", handler: readyHandler(ready)},
		{pattern: "GET /openapi.json", handler: openAPIHandler()},
		{pattern: "GET /metrics", scope: ScopeRead, handler: a.metrics.Handler()},

		{pattern: "POST /worlds/{world}/evaluations", scope: ScopeSubmit, readModels: true, handler: a.handle(a.submitEvaluation)},
		{pattern: "GET /worlds/{world}/runs", scope: ScopeRead, readModels: true, handler: a.handle(a.listRuns)},
		{pattern: "GET /worlds/{world}/runs/metrics", scope: ScopeRead, readModels: true, handler: a.handle(a.listRunMetrics)},
		{pattern: "GET /worlds/{world}/strategies/{strategy}/runs", scope: ScopeRead, readModels: true, handler: a.handle(a.listStrategyRuns)},
		{pattern: "GET /worlds/{world}/strategies/{strategy}/runs/{run}", scope: ScopeRead, readModels: true, handler: a.handle(a.getRun)},
		{pattern: "GET /worlds/{world}/strategies/{strategy}/runs/{run}/metrics", scope: ScopeRead, readModels: true, handler: a.handle(a.getRunMetrics)},
		{pattern: "GET /worlds/{world}/strategies/{strategy}/runs/{run}/history", scope: ScopeRead, readModels: true, handler: a.handle(a.getRunHistory)},
		{pattern: "GET /worlds/{world}/strategies/{strategy}/runs/{run}/report", scope: ScopeRead, readModels: true, handler: a.handle(a.getRunReport)},

		{pattern: "PUT /worlds/{world}/policies", scope: ScopePolicyWrite, readModels: true, handler: a.handle(a.publishPolicy)},
		{pattern: "GET /worlds/{world}/policies", scope: ScopeRead, readModels: true, handler: a.handle(a.listPolicies)},
		{pattern: "GET /worlds/{world}/policies/{version}", scope: ScopeRead, readModels: true, handler: a.handle(a.getPolicy)},
		{pattern: "POST /worlds/{world}/policies/default", scope: ScopePolicyWrite, readModels: true, handler: a.handle(a.setDefaultPolicy)},
	}, append(a.governanceRoutes(), a.riskHubRoutes()...)...)
}

// register mounts rs on mux: each behind [Authenticator.Require] with its
// scope (open routes are not), and, for the resources, behind the read-model
// gate.
func (a *api) register(mux *http.ServeMux, rs []route) {
	for _, rt := range rs {
		h := rt.handler
		if rt.readModels {
			h = a.requireReadModels(h)
		}
		if rt.scope != "" {
			h = a.auth.Require(rt.scope, h)
		}
		mux.Handle(rt.pattern, h)
	}
}

// apiHandler is a handler that returns its error instead of writing it; see
// [api.handle].
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to [http.Handler], answering any error it returns through
// [writeAPIError], the API's one error path.
func (a *api) handle(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeAPIError(w, r, a.log, err)
		}
	})
}

// requireReadModels answers 503 E_UNAVAILABLE (with Retry-After) until the
// read models have caught up with the store, so that a starting service never
// answers 404 for a run it has not read yet.
func (a *api) requireReadModels(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.models.isCaughtUp() {
			writeAPIError(w, r, a.log, errcode.New(errcode.Unavailable, "the read models are still catching up with the event store; retry shortly"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// runLinks are the links of a run (validation-core §2.2, plus self).
type runLinks struct {
	Self    string `json:"self"`
	Metrics string `json:"metrics"`
	History string `json:"history"`
}

// linksOf returns the links of the run (world, strategy, run), each id
// escaped as one path segment.
func linksOf(world, strategy, run string) runLinks {
	self := "/worlds/" + url.PathEscape(world) + "/strategies/" + url.PathEscape(strategy) + "/runs/" + url.PathEscape(run)
	return runLinks{Self: self, Metrics: self + "/metrics", History: self + "/history"}
}

// policyLink returns the path of one policy version of world.
func policyLink(world string, version int) string {
	return "/worlds/" + url.PathEscape(world) + "/policies/" + strconv.Itoa(version)
}
