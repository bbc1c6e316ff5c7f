package blobstore_test

import (
	"crypto/rand"
	"os"
	"testing"

	"github.com/worldval/worldval/blobstore"
	"github.com/worldval/worldval/blobstore/blobtest"
)

// RedisURLEnv names the variable that scripts/services/redis.sh sets to the
// URL of the test Redis server.
const RedisURLEnv = "WORLDVAL_TEST_REDIS"

// redisURL returns the test server's URL. Without one the test fails, or
// is skipped under -short: an integration test never passes by not running.
func redisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv(RedisURLEnv)
	if url == "" {
		if testing.Short() {
			t.Skip("-short: no Redis server")
		}
		t.Fatalf("%s is not set; run the suite with scripts/test.sh, which starts a Redis server (scripts/services/redis.sh)", RedisURLEnv)
	}
	return url
}

func TestRedisConformance(t *testing.T) {
	url := redisURL(t)
	prefix := "worldval-test-" + rand.Text() + ":" // runs sharing the server never meet
	blobtest.Run(t, func(t *testing.T) blobstore.Store {
		s, err := blobstore.OpenRedis(t.Context(), url, prefix)
		if err != nil {
			t.Fatalf("Redis at %s is unreachable: %v", url, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestRedisRefFormat(t *testing.T) {
	s, err := blobstore.OpenRedis(t.Context(), redisURL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ref := s.Ref("w/v1/x.json"); ref != "redis://risk-blobs:w/v1/x.json" {
		t.Fatalf("ref %q", ref)
	}
}

func TestRedisUnreachable(t *testing.T) {
	if _, err := blobstore.OpenRedis(t.Context(), "redis://127.0.0.1:1/0", ""); err == nil {
		t.Fatal("a closed port answered")
	}
	if _, err := blobstore.OpenRedis(t.Context(), "http://x", ""); err == nil {
		t.Fatal("a non-redis URL was accepted")
	}
}
