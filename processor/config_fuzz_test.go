package processor

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeConfig feeds arbitrary bytes to the configuration decoder: it
// must never panic, must report problems only as a *ConfigError, and a
// configuration it accepts must survive defaults and validation without
// panicking either.
func FuzzDecodeConfig(f *testing.F) {
	if seed, err := os.ReadFile(filepath.Join("..", "deploy", "worldval.example.yaml")); err == nil {
		f.Add(seed)
	}
	for _, s := range []string{
		"", "http: {addr: a:1}\n", "auth:\n  tokens:\n  - {principal: a, secret: b, scopes: [read]}\n",
		"a: &a [*a]\n", "http: &h {x: *h}\n", "x: !!binary aGk=\n", "? [a]\n: b\n", "<<: {a: 1}\n",
		"data_dir: 1\n---\nx: 2\n", "http:\n  read_timeout: 9999999999999h\n", "\t- \"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg Config
		err := decodeConfig("f.yaml", data, &cfg)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("decode error %v (%T) is not a non-empty *ConfigError", err, err)
			}
			_ = err.Error()
			return
		}
		cfg.SetDefaults()
		_ = cfg.Validate()
	})
}
