package processor

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/worldval/worldval/aggregates/errcode"
)

// openAPIDoc is the part of the OpenAPI document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Parameters map[string]openAPIParameter `json:"parameters"`
		Responses  map[string]openAPIResponse  `json:"responses"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Security    []map[string][]string      `json:"security"`
	Parameters  []openAPIParameter         `json:"parameters"`
	Responses   map[string]openAPIResponse `json:"responses"`
	RequestBody map[string]json.RawMessage `json:"requestBody"`
}

type openAPIParameter struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

type openAPIResponse struct {
	Ref        string   `json:"$ref"`
	ErrorCodes []string `json:"x-error-codes"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal([]byte(openAPIDocument), &doc); err != nil {
		t.Fatalf("processor/openapi.json is not valid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	return doc
}

// TestOpenAPIDescribesExactlyTheRoutes checks that every route registered on
// the mux is in the document and every operation of the document is a
// registered route, with the same scope.
func TestOpenAPIDescribesExactlyTheRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	a := &api{metrics: NewMetrics()}
	registered := map[string]Scope{}
	for _, rt := range a.routes(nil) {
		registered[rt.pattern] = rt.scope
	}
	documented := map[string]openAPIOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}
	for pattern := range registered {
		if _, ok := documented[pattern]; !ok {
			t.Errorf("route %q is registered but not in processor/openapi.json", pattern)
		}
	}
	for pattern, op := range documented {
		scope, ok := registered[pattern]
		if !ok {
			t.Errorf("operation %q (%s) is documented but not registered", pattern, op.OperationID)
			continue
		}
		var want []map[string][]string
		if scope != "" {
			want = []map[string][]string{{"bearer": {string(scope)}}}
		}
		if len(op.Security) != len(want) || (len(want) == 1 && !slices.Equal(op.Security[0]["bearer"], want[0]["bearer"])) {
			t.Errorf("%s: security %v, want %v", pattern, op.Security, want)
		}
	}
	if len(registered) != len(documented) {
		t.Errorf("%d routes registered, %d documented", len(registered), len(documented))
	}
}

// TestOpenAPIOperationsAreComplete checks each operation: its path
// parameters are declared, its references resolve, its error responses name
// registered codes with the status they are documented under, and every
// protected route documents 401 and 403.
func TestOpenAPIOperationsAreComplete(t *testing.T) {
	doc := loadOpenAPI(t)
	wildcard := regexp.MustCompile(`\{([^}]+)\}`)
	resolveParam := func(p openAPIParameter) openAPIParameter {
		if p.Ref == "" {
			return p
		}
		name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
		got, ok := doc.Components.Parameters[name]
		if !ok {
			t.Errorf("unresolved parameter %s", p.Ref)
		}
		return got
	}
	resolveResponse := func(r openAPIResponse) openAPIResponse {
		if r.Ref == "" {
			return r
		}
		name := strings.TrimPrefix(r.Ref, "#/components/responses/")
		got, ok := doc.Components.Responses[name]
		if !ok {
			t.Errorf("unresolved response %s", r.Ref)
		}
		return got
	}
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			where := strings.ToUpper(method) + " " + path
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: missing or repeated operationId %q", where, op.OperationID)
			}
			ids[op.OperationID] = true
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				p = resolveParam(p)
				if p.In == "path" {
					declared[p.Name] = true
				}
			}
			for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter {%s} is not declared", where, m[1])
				}
			}
			for status, r := range op.Responses {
				r = resolveResponse(r)
				code, err := strconv.Atoi(status)
				if err != nil {
					t.Errorf("%s: response %q is not a status", where, status)
					continue
				}
				for _, c := range r.ErrorCodes {
					spec, ok := errcode.Lookup(errcode.Code(c))
					switch {
					case !ok:
						t.Errorf("%s %s: %s is not in the error-code registry", where, status, c)
					case spec.HTTPStatus != code:
						t.Errorf("%s: %s is documented under %d but the registry answers %d", where, c, code, spec.HTTPStatus)
					}
				}
			}
			if len(op.Security) > 0 {
				for _, status := range []string{"401", "403"} {
					if _, ok := op.Responses[status]; !ok {
						t.Errorf("%s: a protected route does not document %s", where, status)
					}
				}
			}
		}
	}
}

// TestOpenAPIIsServed fetches the document over HTTP without a token.
func TestOpenAPIIsServed(t *testing.T) {
	t.Parallel()
	h := startAPI(t)
	resp := h.do(http.MethodGet, "/openapi.json", apiNoToken, nil)
	if resp.status != http.StatusOK || string(resp.body) != openAPIDocument || resp.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d, %d bytes, %q", resp.status, len(resp.body), resp.header.Get("Content-Type"))
	}
}

// documentedCodes returns every code the document names, sorted.
func documentedCodes(doc openAPIDoc) []string {
	seen := map[string]bool{}
	for _, r := range doc.Components.Responses {
		for _, c := range r.ErrorCodes {
			seen[c] = true
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
