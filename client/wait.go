package client

import (
	"context"
	"fmt"
	"time"
)

// Poll intervals of [Client.WaitForVerdict] by default.
const (
	// DefaultPollMin is the first wait between two polls.
	DefaultPollMin = 5 * time.Millisecond
	// DefaultPollMax caps the wait between two polls.
	DefaultPollMax = time.Second
)

// WaitOption adjusts [Client.WaitForVerdict].
type WaitOption func(*waitConfig)

type waitConfig struct {
	first, max time.Duration
	timeout    time.Duration
}

// PollInterval sets the first wait between two polls and its cap; each wait
// is half as long again as the one before (default [DefaultPollMin] to
// [DefaultPollMax]).
func PollInterval(first, max time.Duration) WaitOption {
	return func(w *waitConfig) {
		if first > 0 {
			w.first = first
		}
		if max >= w.first {
			w.max = max
		}
	}
}

// Timeout bounds the whole wait, like a context deadline; 0 waits as long as
// the context allows.
func Timeout(d time.Duration) WaitOption { return func(w *waitConfig) { w.timeout = d } }

// WaitForVerdict polls the run ref names, with growing intervals, until it
// has its verdict, and returns the verdict. While the run is evaluating, or
// the service answers 503 (it is starting), it keeps waiting; any other
// error ends the wait, as does the end of ctx or of the [Timeout]: the error
// then wraps [context.DeadlineExceeded] (or [context.Canceled]) and says what
// the run's status was.
func (c *Client) WaitForVerdict(ctx context.Context, ref RunRef, opts ...WaitOption) (*RunMetrics, error) {
	cfg := waitConfig{first: DefaultPollMin, max: DefaultPollMax}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	started := time.Now()
	wait := cfg.first
	last := "not yet asked"
	for {
		m, err := c.RunMetrics(ctx, ref)
		switch {
		case err == nil:
			return m, nil
		case HasCode(err, CodeRunNotEvaluated):
			last = StatusEvaluating
		case HasCode(err, CodeUnavailable):
			last = "service unavailable"
		case ctx.Err() != nil:
			// The context ended during the request.
		default:
			return nil, fmt.Errorf("wait for the verdict: %w", err)
		}
		if err := sleep(ctx, jitter(wait)); err != nil {
			return nil, fmt.Errorf("wait for the verdict of %s: still %s after %s: %w",
				ref, last, time.Since(started).Round(time.Millisecond), err)
		}
		wait = min(wait+wait/2, cfg.max)
	}
}
