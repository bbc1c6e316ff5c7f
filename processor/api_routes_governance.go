package processor

// governanceRoutes are the routes of the governance record (issue 7,
// validation-core §10 and §12.2): overrides and ex-post failures on runs,
// world settings, the invariant report and model cards. [api.routes]
// appends them to its list.
func (a *api) governanceRoutes() []route {
	return []route{
		{pattern: "POST /worlds/{world}/strategies/{strategy}/runs/{run}/override", scope: ScopeOverrideWrite, readModels: true, handler: a.handle(a.recordOverride)},
		{pattern: "POST /worlds/{world}/strategies/{strategy}/runs/{run}/ex-post-failures", scope: ScopeOverrideWrite, readModels: true, handler: a.handle(a.recordExPostFailure)},

		{pattern: "GET /worlds/{world}/settings", scope: ScopeRead, handler: a.handle(a.getWorldSettings)},
		{pattern: "PUT /worlds/{world}/settings", scope: ScopePolicyWrite, handler: a.handle(a.putWorldSettings)},

		{pattern: "GET /worlds/{world}/validations/invariants", scope: ScopeRead, readModels: true, handler: a.handle(a.getWorldInvariants)},
		{pattern: "GET /validations/invariants", scope: ScopeRead, readModels: true, handler: a.handle(a.getAllInvariants)},

		{pattern: "PUT /strategies/{strategy}/model-cards", scope: ScopeSubmit, handler: a.handle(a.putModelCard)},
		{pattern: "PUT /strategies/{strategy}/model-cards/{version}", scope: ScopeSubmit, handler: a.handle(a.putModelCard)},
		{pattern: "GET /strategies/{strategy}/model-cards", scope: ScopeRead, handler: a.handle(a.listModelCards)},
		{pattern: "GET /strategies/{strategy}/model-cards/{version}", scope: ScopeRead, handler: a.handle(a.getModelCard)},
	}
}
