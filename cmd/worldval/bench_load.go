package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/worldval/worldval/client"
	"github.com/worldval/worldval/events"
)

// benchWorld is the world the benchmark submits to.
const benchWorld = "bench"

// loadResult is what the load generator measured.
type loadResult struct {
	sent, accepted, failed atomic.Int64
	// firstErr is the first submission error.
	firstErr atomic.Pointer[error]
	// ack is due → 202 Accepted; lag is due → picked up by a sender (the
	// open-loop queue when every sender is busy).
	ack, lag latencies
	// lastAck is the instant of the last 202, as Unix nanoseconds.
	lastAck atomic.Int64
}

// fail records a failed submission.
func (r *loadResult) fail(err error) {
	r.failed.Add(1)
	r.firstErr.CompareAndSwap(nil, &err)
}

// job is one submission due at an instant.
type job struct {
	i   int
	due time.Time
}

// benchRequests returns n seeded submissions, each a series of length
// returns of daily returns, which the load cycles through.
func benchRequests(n, returns int) []client.SubmitRequest {
	out := make([]client.SubmitRequest, n)
	for k := range out {
		rng := rand.New(rand.NewPCG(uint64(k), 0x62656e6368)) // "bench"
		r := make([]float64, returns)
		for i := range r {
			r[i] = float64(int64((0.0005+0.01*rng.NormFloat64())*1e6)) / 1e6
		}
		out[k] = client.SubmitRequest{Stage: "backtest", Returns: r}
	}
	return out
}

// runLoad submits at rate per second for duration, open loop: submission i
// is due at start + i/rate whatever happened to the ones before, and is sent
// by the first of concurrency senders that is free. Latencies count from the
// due instant, so a sender shortage shows up in them instead of slowing the
// load down. Run ids are prefixed with runPrefix.
func runLoad(ctx context.Context, c *client.Client, watch *verdictWatch, reqs []client.SubmitRequest, rate float64, duration time.Duration, concurrency int, runPrefix string, start time.Time) *loadResult {
	res := &loadResult{}
	total := int(rate * duration.Seconds())
	jobs := make(chan job, min(total, 1<<20))
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for j := range jobs {
				res.lag.add(time.Since(j.due))
				req := reqs[j.i%len(reqs)]
				req.StrategyID = fmt.Sprintf("s%03d", j.i%100)
				req.RunID = fmt.Sprintf("%s-%07d", runPrefix, j.i)
				stream, err := events.RunStream(benchWorld, req.StrategyID, req.RunID)
				if err != nil {
					res.fail(err)
					continue
				}
				watch.expect(stream, j.due)
				if _, err := c.Submit(ctx, benchWorld, req); err != nil {
					watch.forget(stream)
					res.fail(err)
					continue
				}
				now := time.Now()
				res.ack.add(now.Sub(j.due))
				res.accepted.Add(1)
				res.lastAck.Store(now.UnixNano())
			}
		})
	}
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; i < total && ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		res.sent.Add(1)
		jobs <- job{i: i, due: due}
	}
	close(jobs)
	wg.Wait()
	return res
}
