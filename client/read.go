package client

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ReadOption adjusts a read.
type ReadOption func(url.Values)

// AsOf asks for the answer as the service knew it at t: folded from the
// events it had recorded up to and including that instant. A run that did
// not exist yet is E_RUN_NOT_FOUND.
func AsOf(t time.Time) ReadOption {
	return func(q url.Values) { q.Set("as_of", t.UTC().Format(time.RFC3339Nano)) }
}

// readQuery applies opts to q (nil allocates one when an option sets
// something).
func readQuery(q url.Values, opts []ReadOption) url.Values {
	if len(opts) == 0 {
		return q
	}
	if q == nil {
		q = url.Values{}
	}
	for _, o := range opts {
		o(q)
	}
	return q
}

// get sends a GET of path with the query and decodes the answer into out.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, retry: true}, out)
	return err
}

// Run returns the run ref names, evaluated or not. An unknown run is an
// [*APIError] with code [CodeRunNotFound].
func (c *Client) Run(ctx context.Context, ref RunRef, opts ...ReadOption) (*Run, error) {
	var r Run
	if err := c.get(ctx, ref.path(), readQuery(nil, opts), &r); err != nil {
		return nil, fmt.Errorf("run %s: %w", ref, err)
	}
	return &r, nil
}

// RunMetrics returns the verdict of the run ref names. While the run is
// still being evaluated the error is an [*APIError] with code
// [CodeRunNotEvaluated]; [Client.WaitForVerdict] waits for it instead.
func (c *Client) RunMetrics(ctx context.Context, ref RunRef, opts ...ReadOption) (*RunMetrics, error) {
	var m RunMetrics
	if err := c.get(ctx, ref.path("metrics"), readQuery(nil, opts), &m); err != nil {
		return nil, fmt.Errorf("verdict of %s: %w", ref, err)
	}
	return &m, nil
}

// RunHistory returns every revision of the run ref names, oldest first.
func (c *Client) RunHistory(ctx context.Context, ref RunRef, opts ...ReadOption) ([]HistoryEntry, error) {
	var h []HistoryEntry
	if err := c.get(ctx, ref.path("history"), readQuery(nil, opts), &h); err != nil {
		return nil, fmt.Errorf("history of %s: %w", ref, err)
	}
	return h, nil
}

// RunFilter selects runs of a listing; empty fields select everything.
type RunFilter struct {
	// StrategyID keeps one strategy's runs.
	StrategyID string
	// Stage keeps runs of one stage (backtest, paper, …).
	Stage string
	// Status keeps [StatusEvaluating] or [StatusEvaluated] runs.
	Status string
	// Verdict keeps runs with one verdict (pass, warn, fail).
	Verdict string
	// Limit is the page size, 1 to 500; 0 means the service's default
	// (50).
	Limit int
}

// ListRuns returns one page of world's runs in submission order: the first
// when cursor is empty, else the page after the one whose NextCursor it is
// (pass the same filter).
func (c *Client) ListRuns(ctx context.Context, world string, f RunFilter, cursor string, opts ...ReadOption) (*RunPage, error) {
	q := url.Values{}
	path := worldPath(world, "runs")
	if f.StrategyID != "" {
		path = worldPath(world, "strategies", url.PathEscape(f.StrategyID), "runs")
	}
	for k, v := range map[string]string{"stage": f.Stage, "status": f.Status, "verdict": f.Verdict, "cursor": cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var p RunPage
	if err := c.get(ctx, path, readQuery(q, opts), &p); err != nil {
		return nil, fmt.Errorf("runs of world %s: %w", world, err)
	}
	return &p, nil
}

// Runs iterates over every run of world that f selects, in submission
// order, fetching page after page. The iteration stops at the first error,
// which it yields with a zero Run. With [AsOf] every page is read as of the
// same instant, so the listing is consistent; without, runs submitted while
// it pages may or may not appear.
func (c *Client) Runs(ctx context.Context, world string, f RunFilter, opts ...ReadOption) iter.Seq2[Run, error] {
	return func(yield func(Run, error) bool) {
		cursor := ""
		for {
			page, err := c.ListRuns(ctx, world, f, cursor, opts...)
			if err != nil {
				yield(Run{}, err)
				return
			}
			for _, r := range page.Runs {
				if !yield(r, nil) {
					return
				}
			}
			if page.NextCursor == "" {
				return
			}
			cursor = page.NextCursor
		}
	}
}
