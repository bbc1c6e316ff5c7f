package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of a [Client].
const (
	// DefaultRetries is how many times a request the service answered 503
	// E_UNAVAILABLE (it is starting or stopping) is retried when retrying
	// is safe; see [WithRetries].
	DefaultRetries = 5
	// maxResponseBytes bounds a response body the client reads.
	maxResponseBytes = 64 << 20
	// maxRetryAfter caps the wait a Retry-After header may ask for.
	maxRetryAfter = 5 * time.Second
	// userAgent identifies the client to the service.
	userAgent = "worldval-go-client/1"
)

// Client talks to one worldval service. Create it with [New]; it is safe for
// concurrent use by many goroutines.
type Client struct {
	// base is the service's base URL without a trailing slash.
	base    string
	hc      *http.Client
	token   string
	retries int
}

// Option configures a [Client].
type Option func(*Client)

// WithToken sends token as the bearer token of every request
// (Authorization: Bearer TOKEN). Without it no Authorization header is sent,
// which the embedded profile accepts from loopback callers only.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient makes the client send its requests through hc instead of
// its own [http.Client] (whose transport keeps up to 64 idle connections to
// the service and has no overall timeout: contexts bound each call).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithRetries sets how many times a request answered 503 E_UNAVAILABLE is
// retried (default [DefaultRetries]; 0 disables retries), waiting as the
// answer's Retry-After says, at most a few seconds. Only requests that are
// safe to repeat are retried: reads, and writes that carry an idempotency
// key or, for submissions, an explicit run id.
func WithRetries(n int) Option { return func(c *Client) { c.retries = max(n, 0) } }

// New returns a client of the service at baseURL, such as
// "http://127.0.0.1:8080" (a path prefix is kept, a trailing slash dropped).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q: want http://HOST:PORT or https://HOST:PORT", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q: must not have a query or fragment", baseURL)
	}
	c := &Client{base: strings.TrimSuffix(u.String(), "/"), retries: DefaultRetries}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 64
		t.MaxIdleConnsPerHost = 64
		c.hc = &http.Client{Transport: t}
	}
	return c, nil
}

// BaseURL returns the service's base URL as the client uses it.
func (c *Client) BaseURL() string { return c.base }

// request is one API call.
type request struct {
	method string
	// path is the escaped path below the base URL, starting with "/".
	path  string
	query url.Values
	body  []byte
	// contentType is the body's media type.
	contentType string
	// accept is the media type asked for, "" for application/json.
	accept         string
	idempotencyKey string
	// retry tells whether the call may be repeated after a 503.
	retry bool
}

// do sends req and decodes a 2xx answer's JSON body into out (nil discards
// it; a *[]byte receives the body as it is). It returns the HTTP status of the answer. A non-2xx answer is an
// [*APIError]; a 503 is retried with backoff when req.retry allows.
func (c *Client) do(ctx context.Context, req request, out any) (int, error) {
	wait := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		status, retryAfter, err := c.once(ctx, req, out)
		var ae *APIError
		if !req.retry || attempt >= c.retries || !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable {
			return status, err
		}
		d := wait
		if retryAfter > 0 {
			d = retryAfter
		}
		if err := sleep(ctx, jitter(d)); err != nil {
			return status, fmt.Errorf("%w (gave up waiting to retry: %w)", ae, err)
		}
		wait = min(2*wait, maxRetryAfter)
	}
}

// once sends req once. It returns the status, the Retry-After of a 503 (0
// when absent) and the error.
func (c *Client) once(ctx context.Context, req request, out any) (int, time.Duration, error) {
	target := c.base + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return 0, 0, fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
	accept := req.accept
	if accept == "" {
		accept = "application/json"
	}
	hr.Header.Set("Accept", accept)
	hr.Header.Set("User-Agent", userAgent)
	if req.body != nil {
		hr.Header.Set("Content-Type", req.contentType)
	}
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	if req.idempotencyKey != "" {
		hr.Header.Set("Idempotency-Key", req.idempotencyKey)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return 0, 0, fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return resp.StatusCode, 0, fmt.Errorf("%s %s: read the answer: %w", req.method, req.path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After")), decodeAPIError(resp.StatusCode, data)
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
	} else if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, 0, fmt.Errorf("%s %s: decode the answer: %w", req.method, req.path, err)
		}
	}
	return resp.StatusCode, 0, nil
}

// retryAfter parses a Retry-After header given in seconds (the form the
// service sends), capped at maxRetryAfter; 0 when absent or unreadable.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter)
}

// jitter spreads d by ±20% so that many waiting clients do not retry in
// lockstep.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d*4/5 + rand.N(d*2/5+1)
}

// sleep waits for d or until ctx is done, returning ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// worldPath returns the escaped path of a world's resource, each id escaped
// as one path segment.
func worldPath(world string, rest ...string) string {
	var b strings.Builder
	b.WriteString("/worlds/")
	b.WriteString(url.PathEscape(world))
	for _, s := range rest {
		b.WriteByte('/')
		b.WriteString(s)
	}
	return b.String()
}
