package processor

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readDoc reads docs/configuration.md.
func readDoc(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

// TestEveryKeyIsDocumented checks that docs/configuration.md has a row for
// every key of Config, naming its environment variable, and a row in the
// environment table for each variable; and that the docs name no key or
// variable that does not exist.
func TestEveryKeyIsDocumented(t *testing.T) {
	doc := readDoc(t)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9_.\\[\\]]+)` \\|").FindAllStringSubmatch(doc, -1) {
		documented[m[1]] = true
	}
	envRows := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(WORLDVAL_[A-Z0-9_]+)` \\| `([a-z0-9_.]+)` \\|$").FindAllStringSubmatch(doc, -1) {
		envRows[m[1]] = m[2]
	}
	keys := configKeys()
	known := map[string]bool{}
	envs := map[string]string{}
	for _, k := range keys {
		known[k.path] = true
		if !documented[k.path] {
			t.Errorf("key %s has no row in docs/configuration.md", k.path)
		}
		if k.env == "" {
			continue
		}
		if other, dup := envs[k.env]; dup {
			t.Errorf("keys %s and %s both derive %s", other, k.path, k.env)
		}
		envs[k.env] = k.path
		if envRows[k.env] != k.path {
			t.Errorf("environment table: %s should map to %s, has %q", k.env, k.path, envRows[k.env])
		}
		if !regexp.MustCompile("(?m)^\\| `" + regexp.QuoteMeta(k.path) + "` \\|.*\\| `" + k.env + "` \\|").MatchString(doc) {
			t.Errorf("the row of %s does not name %s", k.path, k.env)
		}
	}
	for path := range documented {
		if strings.ContainsAny(path, "._[") && !known[path] {
			t.Errorf("docs/configuration.md documents %s, which is no key", path)
		}
	}
	for env := range envRows {
		if envs[env] == "" {
			t.Errorf("docs/configuration.md lists %s, which no key derives", env)
		}
	}
	if len(envs) != 63 {
		t.Errorf("%d environment variables; update this test and the docs together", len(envs))
	}
}

// TestDocExampleIsTheDeployExample keeps the complete example in the docs
// identical to deploy/worldval.example.yaml, which TestExampleFileLoads
// loads.
func TestDocExampleIsTheDeployExample(t *testing.T) {
	doc := readDoc(t)
	_, example, ok := strings.Cut(doc, "## A complete example")
	if !ok {
		t.Fatal("docs/configuration.md has no complete example")
	}
	_, block, _ := strings.Cut(example, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	file, err := os.ReadFile(filepath.Join("..", "deploy", "worldval.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if block != string(file) {
		t.Fatal("the example in docs/configuration.md differs from deploy/worldval.example.yaml")
	}
}

// TestDocErrorExampleIsReal checks that the error the docs show for their
// bad file is the one the decoder reports for it.
func TestDocErrorExampleIsReal(t *testing.T) {
	doc := readDoc(t)
	_, rest, ok := strings.Cut(doc, "For this file:\n\n```yaml\n")
	if !ok {
		t.Fatal("docs/configuration.md has no error example")
	}
	file, rest, _ := strings.Cut(rest, "```")
	_, rest, _ = strings.Cut(rest, "```text\n")
	shown, _, _ := strings.Cut(rest, "\n```")
	var cfg Config
	err := decodeConfig("worldval.yaml", []byte(file), &cfg)
	if err == nil || "worldval serve: "+err.Error() != shown {
		t.Fatalf("the docs show\n%s\nbut the decoder reports\n%v", shown, err)
	}
}
