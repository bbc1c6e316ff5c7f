package blobstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix prefixes the key of every blob in Redis (spec §2.10).
const DefaultRedisPrefix = "risk-blobs:"

// Redis is a [Store] in a Redis server: a blob called name is the string key
// <prefix><name>, written with SET NX and no expiry (D9: a referenced blob
// outlives its snapshots, unlike QMTL's 900 s keys), and its reference is
// "redis://<prefix><name>" (QMTL's format). Build it with [OpenRedis]. The
// server should persist (AOF or RDB) for blobs to survive its restart.
type Redis struct {
	client *redis.Client
	prefix string
}

var _ Store = (*Redis)(nil)

// OpenRedis connects to the server at url ("redis://host:port/db", with
// optional user and password; see [redis.ParseURL]) and checks it answers.
// An empty prefix takes [DefaultRedisPrefix].
func OpenRedis(ctx context.Context, url, prefix string) (*Redis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("blobstore: redis url: %w", err)
	}
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	client := redis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("blobstore: redis at %s: %w", opts.Addr, err)
	}
	return &Redis{client: client, prefix: prefix}, nil
}

func (r *Redis) key(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	return r.prefix + name, nil
}

// Put writes the blob with SET NX.
func (r *Redis) Put(ctx context.Context, name string, data []byte) (bool, error) {
	k, err := r.key(name)
	if err != nil {
		return false, err
	}
	created, err := r.client.SetNX(ctx, k, data, 0).Result()
	if err != nil {
		return false, fmt.Errorf("put blob %s: %w", name, err)
	}
	return created, nil
}

// Get reads the blob.
func (r *Redis) Get(ctx context.Context, name string) ([]byte, error) {
	k, err := r.key(name)
	if err != nil {
		return nil, err
	}
	b, err := r.client.Get(ctx, k).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("blob %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", name, err)
	}
	return b, nil
}

// Exists reports whether the blob's key exists.
func (r *Redis) Exists(ctx context.Context, name string) (bool, error) {
	k, err := r.key(name)
	if err != nil {
		return false, err
	}
	n, err := r.client.Exists(ctx, k).Result()
	if err != nil {
		return false, fmt.Errorf("blob %s: %w", name, err)
	}
	return n == 1, nil
}

// Delete removes the blob's key.
func (r *Redis) Delete(ctx context.Context, name string) error {
	k, err := r.key(name)
	if err != nil {
		return err
	}
	if err := r.client.Del(ctx, k).Err(); err != nil {
		return fmt.Errorf("delete blob %s: %w", name, err)
	}
	return nil
}

// Ref returns "redis://" followed by the blob's key.
func (r *Redis) Ref(name string) string { return "redis://" + r.prefix + name }

// Name accepts "redis://<prefix><name>".
func (r *Redis) Name(ref string) (string, bool) {
	name, ok := strings.CutPrefix(ref, "redis://"+r.prefix)
	if !ok || CheckName(name) != nil {
		return "", false
	}
	return name, true
}

// Close closes the connection pool.
func (r *Redis) Close() error { return r.client.Close() }
