package processor

import (
	"strings"
	"testing"
	"time"
)

func TestRiskHubConfigValidate(t *testing.T) {
	valid := func() RiskHubConfig {
		var c RiskHubConfig
		c.SetDefaults("data")
		return c
	}
	for _, tc := range []struct {
		name string
		edit func(*RiskHubConfig)
		want string
	}{
		{"negative default ttl", func(c *RiskHubConfig) { c.TTLSecDefault = -1 }, "ttl_sec_default: must be at least 1 second"},
		{"default above max", func(c *RiskHubConfig) { c.TTLSecDefault, c.TTLSecMax = 100, 10 }, "ttl_sec_default: 100 is above ttl_sec_max (10)"},
		{"negative max", func(c *RiskHubConfig) { c.TTLSecMax = -5 }, "ttl_sec_max: must be at least 1 second"},
		{"threshold", func(c *RiskHubConfig) { c.InlineCovThreshold = -1 }, "inline_cov_threshold: must be at least 1"},
		{"blank actor", func(c *RiskHubConfig) { c.AllowedActors = []string{"gateway", " x"} }, "allowed_actors[1]"},
		{"duplicate stage", func(c *RiskHubConfig) { c.AllowedStages = []string{"paper", "paper"} }, `allowed_stages[1]: "paper" is listed twice`},
		{"interval", func(c *RiskHubConfig) { c.FreshnessInterval = -time.Second }, "freshness_interval: must be positive"},
		{"unknown blob store", func(c *RiskHubConfig) { c.BlobStore.Type = "s3" }, `blob_store.type: unknown type "s3"`},
		{"redis without url", func(c *RiskHubConfig) { c.BlobStore.Type = BlobStoreRedis }, "blob_store.redis_url: required with type redis"},
		{"redis url secret not echoed", func(c *RiskHubConfig) {
			c.BlobStore.Type, c.BlobStore.RedisURL = BlobStoreRedis, "http://user:hunter2@h"
		}, "blob_store.redis_url: is not a redis:// or rediss:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatal("the error shows the Redis password")
			}
		})
	}
	c := valid()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.BlobStore.BaseDir != "data/risk-blobs" || c.contract().TTLSecDefault != 900 {
		t.Fatalf("defaults %+v", c)
	}
}

func TestRiskHubEnvironment(t *testing.T) {
	cfg, err := LoadConfig("", envMap(map[string]string{
		"WORLDVAL_RISK_HUB_ALLOWED_ACTORS":       "gateway, risk-engine",
		"WORLDVAL_RISK_HUB_TTL_SEC_MAX":          "3600",
		"WORLDVAL_RISK_HUB_BLOB_STORE_TYPE":      "redis",
		"WORLDVAL_RISK_HUB_BLOB_STORE_REDIS_URL": "redis://127.0.0.1:6379/1",
		"WORLDVAL_RISK_HUB_FRESHNESS_INTERVAL":   "5s",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.RiskHub
	if strings.Join(h.AllowedActors, "|") != "gateway|risk-engine" || h.TTLSecMax != 3600 || h.BlobStore.Type != "redis" ||
		h.BlobStore.RedisURL != "redis://127.0.0.1:6379/1" || h.FreshnessInterval != 5*time.Second {
		t.Fatalf("risk_hub from the environment: %+v", h)
	}
	if _, err := LoadConfig("", envMap(map[string]string{"WORLDVAL_RISK_HUB_TTL_SEC_DEFAULT": "60.5"}), nil); err == nil {
		t.Fatal("a fractional ttl_sec_default was accepted")
	}
}
