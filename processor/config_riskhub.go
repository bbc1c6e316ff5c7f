package processor

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/worldval/worldval/aggregates/risksnapshot"
	"github.com/worldval/worldval/blobstore"
)

// Blob store types of the risk_hub.blob_store block.
const (
	BlobStoreFile  = "file"
	BlobStoreRedis = "redis"
)

// DefaultFreshnessInterval is how often the freshness probe measures each
// world's snapshot lag (D19).
const DefaultFreshnessInterval = 30 * time.Second

// RiskHubConfig configures the risk signal hub: the snapshot contract, the
// offload of large members to the blob store, and the freshness probe (the
// keys of risk-hub spec §7.1 that apply to the service). The write token is
// any token of auth.tokens with scope hub:write.
type RiskHubConfig struct {
	// TTLSecDefault is the ttl_sec of a snapshot that names none, in
	// seconds. Default 900.
	TTLSecDefault int64 `yaml:"ttl_sec_default"`
	// TTLSecMax is the largest ttl_sec accepted, in seconds. Default 86400.
	TTLSecMax int64 `yaml:"ttl_sec_max"`
	// InlineCovThreshold is T of the offload rule (D24): covariance with
	// more than T entries, realized returns with more than T points and
	// stress with more than T top-level keys are moved to the blob store.
	// Default 100.
	InlineCovThreshold int `yaml:"inline_cov_threshold"`
	// AllowedActors, when not empty, lists the actors allowed to publish
	// (exact, case-sensitive). Empty: any actor.
	AllowedActors []string `yaml:"allowed_actors"`
	// AllowedStages, when not empty, lists the stages snapshots may carry
	// (exact, case-sensitive). Empty: any stage.
	AllowedStages []string `yaml:"allowed_stages"`
	// FreshnessInterval is how often the freshness probe sets
	// risk_hub_snapshot_lag_seconds for every world. Default 30s.
	FreshnessInterval time.Duration `yaml:"freshness_interval"`
	// BlobStore configures where offloaded members are kept.
	BlobStore BlobStoreConfig `yaml:"blob_store"`
}

// BlobStoreConfig configures the risk hub's blob store.
type BlobStoreConfig struct {
	// Type is "file" (the default: files under BaseDir) or "redis".
	Type string `yaml:"type"`
	// BaseDir is the directory of the file store. Default
	// <data_dir>/risk-blobs.
	BaseDir string `yaml:"base_dir"`
	// RedisURL is the Redis server of the redis store,
	// redis://[user:password@]host:port/db. Required with type redis.
	RedisURL string `yaml:"redis_url"`
	// RedisPrefix prefixes the key of every blob. Default "risk-blobs:".
	RedisPrefix string `yaml:"redis_prefix"`
}

// SetDefaults fills every empty field with its default; the file store's
// directory goes under dataDir.
func (c *RiskHubConfig) SetDefaults(dataDir string) {
	if c.TTLSecDefault == 0 {
		c.TTLSecDefault = risksnapshot.DefaultTTLSec
	}
	if c.TTLSecMax == 0 {
		c.TTLSecMax = risksnapshot.DefaultTTLSecMax
	}
	if c.InlineCovThreshold == 0 {
		c.InlineCovThreshold = risksnapshot.DefaultInlineThreshold
	}
	setDefaultDuration(&c.FreshnessInterval, DefaultFreshnessInterval)
	if c.BlobStore.Type == "" {
		c.BlobStore.Type = BlobStoreFile
	}
	if c.BlobStore.BaseDir == "" {
		c.BlobStore.BaseDir = filepath.Join(dataDir, "risk-blobs")
	}
	if c.BlobStore.RedisPrefix == "" {
		c.BlobStore.RedisPrefix = blobstore.DefaultRedisPrefix
	}
}

// Validate reports every invalid field as a [*ConfigError] with paths
// relative to the risk_hub block, or returns nil.
func (c *RiskHubConfig) Validate() error {
	var v validator
	if c.TTLSecDefault < 1 {
		v.add("ttl_sec_default", "must be at least 1 second, got %d", c.TTLSecDefault)
	}
	if c.TTLSecMax < 1 {
		v.add("ttl_sec_max", "must be at least 1 second, got %d", c.TTLSecMax)
	}
	if c.TTLSecDefault > c.TTLSecMax && c.TTLSecMax >= 1 {
		v.add("ttl_sec_default", "%d is above ttl_sec_max (%d)", c.TTLSecDefault, c.TTLSecMax)
	}
	if c.InlineCovThreshold < 1 {
		v.add("inline_cov_threshold", "must be at least 1, got %d", c.InlineCovThreshold)
	}
	for _, l := range [...]struct {
		key  string
		list []string
	}{{"allowed_actors", c.AllowedActors}, {"allowed_stages", c.AllowedStages}} {
		for i, s := range l.list {
			switch {
			case s == "" || strings.TrimSpace(s) != s:
				v.add(fmt.Sprintf("%s[%d]", l.key, i), "%q: an entry must be non-empty without surrounding white space", s)
			case slices.Index(l.list, s) != i:
				v.add(fmt.Sprintf("%s[%d]", l.key, i), "%q is listed twice", s)
			}
		}
	}
	if c.FreshnessInterval <= 0 {
		v.add("freshness_interval", "must be positive, got %s", c.FreshnessInterval)
	}
	switch c.BlobStore.Type {
	case BlobStoreFile:
		if c.BlobStore.BaseDir == "" {
			v.add("blob_store.base_dir", "empty")
		}
	case BlobStoreRedis:
		if c.BlobStore.RedisURL == "" {
			v.add("blob_store.redis_url", "required with type redis")
		} else if !strings.HasPrefix(c.BlobStore.RedisURL, "redis://") && !strings.HasPrefix(c.BlobStore.RedisURL, "rediss://") {
			v.add("blob_store.redis_url", "is not a redis:// or rediss:// URL")
		}
	default:
		v.add("blob_store.type", "unknown type %q (want %s or %s)", c.BlobStore.Type, BlobStoreFile, BlobStoreRedis)
	}
	return v.err()
}

// contract returns the snapshot contract this block configures.
func (c *RiskHubConfig) contract() *risksnapshot.Contract {
	return &risksnapshot.Contract{
		TTLSecDefault: c.TTLSecDefault, TTLSecMax: c.TTLSecMax,
		AllowedActors: slices.Clone(c.AllowedActors), AllowedStages: slices.Clone(c.AllowedStages),
	}
}

// openBlobStore opens the blob store this block names.
func (c *RiskHubConfig) openBlobStore(ctx context.Context) (blobstore.Store, error) {
	switch c.BlobStore.Type {
	case BlobStoreRedis:
		return blobstore.OpenRedis(ctx, c.BlobStore.RedisURL, c.BlobStore.RedisPrefix)
	default:
		return blobstore.OpenFile(c.BlobStore.BaseDir)
	}
}
