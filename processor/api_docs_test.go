package processor

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/worldval/worldval/aggregates/errcode"
)

// TestAPIGuideListsEveryErrorCode checks that the error-code table of
// docs/api.md is the registry: every code, with its status and description,
// and nothing else.
func TestAPIGuideListsEveryErrorCode(t *testing.T) {
	guide, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(E_[A-Z_]+)` \\| (\\d{3}) \\| ([^|]+) \\|$")
	documented := map[errcode.Code]errcode.Spec{}
	for _, m := range row.FindAllStringSubmatch(string(guide), -1) {
		status, _ := strconv.Atoi(m[2])
		documented[errcode.Code(m[1])] = errcode.Spec{Code: errcode.Code(m[1]), HTTPStatus: status, Description: m[3]}
	}
	for _, s := range errcode.All() {
		got, ok := documented[s.Code]
		switch {
		case !ok:
			t.Errorf("docs/api.md does not list %s", s.Code)
		case got != s:
			t.Errorf("docs/api.md lists %s as %d %q; the registry says %d %q", s.Code, got.HTTPStatus, got.Description, s.HTTPStatus, s.Description)
		}
		delete(documented, s.Code)
	}
	for c := range documented {
		t.Errorf("docs/api.md lists %s, which is not in the registry", c)
	}
	// Every code the OpenAPI document names is in the guide's table too.
	for _, c := range documentedCodes(loadOpenAPI(t)) {
		if _, ok := errcode.Lookup(errcode.Code(c)); !ok {
			t.Errorf("processor/openapi.json names %s, which is not in the registry", c)
		}
	}
}
